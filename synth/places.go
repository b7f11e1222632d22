package synth

// The city is Rongcheng (荣成市, 371082), a county-level city of Weihai
// (威海市, 3710) at the eastern tip of the Shandong peninsula: fishing, sea
// cucumbers, seafood processing, tyres, shipyards and tourism.

const (
	cityCode   = 371082
	cityPrefix = "山东省威海市荣成市"
	courtCode  = "鲁1082" // the Rongcheng People's Court
	plateCode  = "鲁K"    // Weihai's licence plates
	areaCode   = "0631"  // Weihai's telephone area code
)

// origin is a household-registration address code (the first six digits of
// a resident identity number) and its weight in the city's population: the
// weights are slot counts, so a weight w gives w/Σw of the people. Locals
// are two thirds; the rest come from elsewhere in Shandong and from the
// other provinces, the north-east most.
type origin struct {
	code   int
	weight int
	name   string
}

var origins = []origin{
	{371082, 62, "山东省荣成市"},
	{371081, 12, "山东省文登市"},
	{371083, 8, "山东省乳山市"},
	{371002, 10, "山东省威海市环翠区"},
	{370602, 2, "山东省烟台市芝罘区"},
	{370683, 2, "山东省莱州市"},
	{370687, 2, "山东省海阳市"},
	{370202, 1, "山东省青岛市市南区"},
	{370102, 1, "山东省济南市历下区"},
	{370724, 2, "山东省临朐县"},
	{370781, 1, "山东省青州市"},
	{371302, 2, "山东省临沂市兰山区"},
	{371321, 2, "山东省沂南县"},
	{370481, 2, "山东省滕州市"},
	{370883, 1, "山东省邹城市"},
	{371522, 1, "山东省莘县"},
	{371721, 2, "山东省曹县"},
	{371425, 1, "山东省齐河县"},
	{370523, 1, "山东省广饶县"},
	{370982, 1, "山东省新泰市"},
	{230103, 2, "黑龙江省哈尔滨市南岗区"},
	{230602, 1, "黑龙江省大庆市萨尔图区"},
	{231002, 1, "黑龙江省牡丹江市东安区"},
	{220102, 1, "吉林省长春市南关区"},
	{222401, 1, "吉林省延吉市"},
	{210202, 1, "辽宁省大连市中山区"},
	{210103, 1, "辽宁省沈阳市沈河区"},
	{130102, 1, "河北省石家庄市长安区"},
	{130481, 1, "河北省武安市"},
	{410102, 1, "河南省郑州市中原区"},
	{411302, 1, "河南省南阳市宛城区"},
	{411522, 1, "河南省光山县"},
	{341202, 1, "安徽省阜阳市颍州区"},
	{341222, 1, "安徽省太和县"},
	{340102, 1, "安徽省合肥市瑶海区"},
	{320102, 1, "江苏省南京市玄武区"},
	{320321, 1, "江苏省丰县"},
	{321302, 1, "江苏省宿迁市宿城区"},
	{510104, 1, "四川省成都市锦江区"},
	{511321, 1, "四川省南部县"},
	{500101, 1, "重庆市万州区"},
	{430102, 1, "湖南省长沙市芙蓉区"},
	{360102, 1, "江西省南昌市东湖区"},
	{450102, 1, "广西壮族自治区南宁市兴宁区"},
	{140105, 1, "山西省太原市小店区"},
	{610113, 1, "陕西省西安市雁塔区"},
	{620102, 1, "甘肃省兰州市城关区"},
	{110105, 1, "北京市朝阳区"},
	{310115, 1, "上海市浦东新区"},
	{120101, 1, "天津市和平区"},
	{440305, 1, "广东省深圳市南山区"},
	{350102, 1, "福建省福州市鼓楼区"},
	{330106, 1, "浙江省杭州市西湖区"},
	{420106, 1, "湖北省武汉市武昌区"},
	{520102, 1, "贵州省贵阳市南明区"},
	{530102, 1, "云南省昆明市五华区"},
	{150102, 1, "内蒙古自治区呼和浩特市新城区"},
	{640104, 1, "宁夏回族自治区银川市兴庆区"},
	{650102, 1, "新疆维吾尔自治区乌鲁木齐市天山区"},
}

// district is one of the city's subdistricts (街道, urban: flats) or towns
// (镇, villages), weighted by population.
type district struct {
	name   string
	urban  bool
	weight uint64
}

var districts = []district{
	{"崖头街道", true, 20},
	{"城西街道", true, 9},
	{"寻山街道", true, 5},
	{"桃园街道", true, 5},
	{"东山街道", true, 6},
	{"斥山街道", true, 5},
	{"王连街道", true, 4},
	{"宁津街道", true, 5},
	{"港湾街道", true, 5},
	{"俚岛镇", false, 3},
	{"成山镇", false, 3},
	{"埠柳镇", false, 2},
	{"港西镇", false, 2},
	{"夏庄镇", false, 2},
	{"崖西镇", false, 2},
	{"荫子镇", false, 2},
	{"滕家镇", false, 2},
	{"大疃镇", false, 2},
	{"上庄镇", false, 2},
	{"虎山镇", false, 2},
	{"人和镇", false, 3},
}

var roads = []string{
	"成山大道", "青山路", "黄海路", "观海路", "府新路", "荣昌路", "龙云路", "崖头路",
	"海湾路", "石岛大道", "建设路", "人民路", "花园路", "东城路", "西城路", "世纪大道",
	"樱花路", "光明路", "民生路", "海滨路", "振华街", "寻山路", "桑沟湾路", "天鹅湖路",
}

var communities = []string{
	"锦绣花园", "海景苑", "幸福小区", "阳光城", "明珠苑", "滨海花园", "金色家园", "龙海新城",
	"荣昌小区", "和谐家园", "书香苑", "新华小区", "海韵名城", "天鹅湖畔", "福海园", "樱花小区",
}

// Village names are made as 东于家村, 曲家疃, 大王家庄: a place prefix (or
// none), a surname, and 家村, 家庄 or 家疃 (Jiaodong's word for a hamlet).
var villagePrefixes = []string{"", "", "", "东", "西", "南", "北", "大", "小", "前", "后", "上", "下"}
var villageSurnames = []string{
	"于", "王", "张", "孙", "曲", "丛", "鞠", "毕", "隋", "宫", "慕", "初", "衣", "刘", "林",
	"李", "谷", "姜", "连", "邹", "汤", "迟", "栾", "郭", "宋", "谭", "孔", "董", "崔", "梁",
}
var villageSuffixes = []string{"家村", "家庄", "家疃"}

// Where things happen: roads and crossings for traffic, public places for
// the rest.
var crossings = []string{
	"成山大道与观海路交叉口", "成山大道与府新路交叉口", "黄海路与青山路交叉口", "石岛大道与龙云路交叉口",
	"世纪大道与樱花路交叉口", "人民路与建设路交叉口", "海湾路与崖头路交叉口", "荣乌高速荣成出口",
	"威青高速荣成段", "G228国道荣成段", "S301省道俚岛段", "成山头景区停车场",
}

var publicPlaces = []string{
	"荣成市人民医院", "荣成火车站", "荣成市政务服务中心", "石岛港客运站", "崖头商业街", "荣成市体育中心",
	"那香海景区", "成山头景区", "荣成市中医院", "石岛人民医院", "荣成汽车站", "天鹅湖景区",
}

// Banks and lenders.
type lender struct{ code, name string }

var banks = []lender{
	{"ICBC", "中国工商银行荣成支行"},
	{"ABC", "中国农业银行荣成支行"},
	{"BOC", "中国银行荣成支行"},
	{"CCB", "中国建设银行荣成支行"},
	{"PSBC", "中国邮政储蓄银行荣成市支行"},
	{"WHCCB", "威海市商业银行荣成支行"},
	{"RCRCB", "山东荣成农村商业银行"},
	{"BCM", "交通银行威海分行"},
}

var cardIssuers = []lender{
	{"ICBC", "中国工商银行牡丹卡中心"},
	{"CCB", "中国建设银行信用卡中心"},
	{"CMB", "招商银行信用卡中心"},
	{"CITIC", "中信银行信用卡中心"},
	{"CGB", "广发银行信用卡中心"},
	{"BCM", "交通银行太平洋信用卡中心"},
	{"WHCCB", "威海市商业银行"},
}

// Organisations: the kinds of body, by the category of their unified
// social credit code.
type orgType struct {
	name      string // in Org.Type
	authority byte
	category  byte
	weight    uint64
}

var orgTypes = []orgType{
	{"company", '9', '1', 700},
	{"individual_business", '9', '2', 180},
	{"cooperative", '9', '3', 40},
	{"social_organisation", '5', '1', 20},
	{"private_non_enterprise", '5', '2', 20},
	{"public_institution", '1', '2', 30},
	{"government", '1', '1', 10},
}

// industry is a line of business: its name (GB/T 4754 section), what a
// company in it calls itself, and its weight among the city's companies.
type industry struct {
	name   string
	terms  []string
	weight uint64
}

var industries = []industry{
	{"渔业", []string{"水产", "渔业", "海洋牧场", "远洋渔业"}, 12},
	{"农副食品加工业", []string{"水产食品", "海洋食品", "海珍品", "食品"}, 14},
	{"医药制造业", []string{"海洋生物科技", "生物科技"}, 3},
	{"橡胶和塑料制品业", []string{"轮胎", "橡胶制品", "塑料制品"}, 4},
	{"汽车制造业", []string{"汽车零部件", "汽车配件", "专用汽车"}, 5},
	{"铁路、船舶、航空航天和其他运输设备制造业", []string{"船舶修造", "船舶配件", "游艇"}, 4},
	{"通用设备制造业", []string{"机械", "机电设备", "渔具"}, 5},
	{"批发业", []string{"贸易", "商贸", "进出口"}, 16},
	{"零售业", []string{"商贸", "超市", "百货"}, 8},
	{"建筑业", []string{"建筑工程", "建设工程", "装饰工程"}, 7},
	{"房地产业", []string{"房地产开发", "置业", "物业管理"}, 4},
	{"道路运输业", []string{"运输", "物流", "货运"}, 6},
	{"住宿业", []string{"酒店", "宾馆", "民宿"}, 3},
	{"餐饮业", []string{"餐饮", "海鲜餐饮", "餐饮管理"}, 4},
	{"商务服务业", []string{"旅游", "企业管理咨询", "人力资源"}, 3},
	{"软件和信息技术服务业", []string{"信息技术", "网络科技", "电子科技"}, 2},
}

var brandGlyphs = []string{
	"华", "鑫", "源", "盛", "泰", "恒", "达", "宏", "远", "金", "海", "蓝", "东", "方", "成",
	"荣", "嘉", "禾", "瑞", "丰", "通", "兴", "隆", "安", "顺", "利", "福", "祥", "和", "信",
	"诚", "德", "鸿", "运", "洋", "润", "昌", "富", "佳", "新", "宝", "中", "天", "正", "石",
}

var companyForms = []string{"有限公司", "有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司"}

var shops = []string{"超市", "便利店", "饭店", "水产品店", "五金店", "理发店", "家电维修部", "汽车修理部", "海鲜排档", "服装店"}

var coopTrades = []string{"海参养殖", "海带养殖", "苹果种植", "花生种植", "蔬菜种植", "农机服务", "西洋参种植"}

var associations = []string{"水产流通协会", "个体劳动者协会", "志愿者协会", "书法家协会", "渔业协会", "海参产业协会", "老年人体育协会", "餐饮行业协会"}

var nonEnterprises = []string{"幼儿园", "养老院", "培训学校", "康复中心", "社会工作服务中心"}

var institutions = []string{"中学", "小学", "卫生院", "文化站", "水利站", "农业技术推广站"}

var offices = []string{"司法所", "财政所", "市场监督管理所", "自然资源所", "综合执法中队"}
