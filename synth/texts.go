package synth

// The words of the agencies: violations, statutes, causes of action,
// titles. Statute articles are the ones that apply (GB text as of 2024).

const (
	lawRoadTraffic = "《中华人民共和国道路交通安全法》"
	lawCivilCode   = "《中华人民共和国民法典》"
	lawDishonest   = "《最高人民法院关于公布失信被执行人名单信息的若干规定》"
)

type trafficViolation struct {
	text   string
	fine   int // yuan
	points int
	warn   bool // minor enough for a warning
	basis  string
}

var trafficViolations = []trafficViolation{
	{"机动车违反禁止停车标志、标线指示", 100, 0, true, lawRoadTraffic + "第九十三条"},
	{"机动车违反规定停放、临时停车，驾驶人不在现场", 100, 0, true, lawRoadTraffic + "第九十三条"},
	{"驾驶机动车不按规定使用安全带", 50, 1, true, lawRoadTraffic + "第九十条"},
	{"驾驶摩托车不按规定佩戴安全头盔", 50, 1, true, lawRoadTraffic + "第九十条"},
	{"驾驶机动车超过规定时速10%以上未达到20%", 100, 1, true, lawRoadTraffic + "第九十条"},
	{"驾驶机动车违反道路交通信号灯通行", 200, 6, false, lawRoadTraffic + "第九十条"},
	{"驾驶机动车时拨打、接听手持电话", 200, 3, false, lawRoadTraffic + "第九十条"},
	{"驾驶机动车行经人行横道未按规定减速、停车、避让行人", 200, 3, false, lawRoadTraffic + "第九十条"},
	{"驾驶机动车超过规定时速20%以上未达到50%", 200, 6, false, lawRoadTraffic + "第九十条"},
	{"驾驶机动车违反禁令标志指示", 100, 3, false, lawRoadTraffic + "第九十条"},
	{"驾驶机动车不按导向车道行驶", 100, 1, false, lawRoadTraffic + "第九十条"},
	{"驾驶机动车逆向行驶", 200, 3, false, lawRoadTraffic + "第九十条"},
	{"驾驶未按规定定期进行安全技术检验的机动车", 200, 3, false, lawRoadTraffic + "第九十条"},
	{"机动车在高速公路上违法占用应急车道行驶", 200, 6, false, lawRoadTraffic + "第九十条"},
}

var twelvePointViolations = []string{
	"驾驶机动车在高速公路、城市快速路上倒车、逆行、穿越中央分隔带掉头",
	"驾驶机动车在高速公路、城市快速路上行驶超过规定时速50%以上",
	"使用伪造、变造的机动车号牌、行驶证、驾驶证",
	"造成致人轻伤以上交通事故后逃逸，尚不构成犯罪",
	"一个记分周期内累积记分达到12分",
}

const basis12 = "《道路交通安全违法行为记分管理办法》第十条"

// causes of action (案由); index 0 is "none".
var causes = []string{"", "金融借款合同纠纷", "信用卡纠纷", "合同纠纷", "民间借贷纠纷", "危险驾驶罪",
	"买卖合同纠纷", "租赁合同纠纷", "劳务合同纠纷", "机动车交通事故责任纠纷", "物业服务合同纠纷", "追偿权纠纷",
	"建设工程施工合同纠纷", "劳动争议", "承揽合同纠纷", "服务合同纠纷"}

// Causes carried into court by earlier records.
const (
	causeLoan = 1 + iota
	causeCard
	causeContract
	causeLending
	causeDrunk
)

var civilCauses = []uint8{6, causeLending, 7, 8, 9, 10, 11}
var orgCauses = []uint8{6, 12, 13, causeLoan, 14, 7, 15}

var defaultBases = []string{
	lawDishonest + "第一条第一项", // able to perform but refuses
	lawDishonest + "第一条第二项", // obstructs enforcement with false evidence or violence
	lawDishonest + "第一条第三项", // evades enforcement by false litigation or hiding assets
	lawDishonest + "第一条第五项", // breaches a consumption restriction order
}

var productsFraud = []string{"海参", "鲜活海产品", "保健食品", "二手车", "家庭装修服务", "预付费会员卡", "旅游服务", "家电维修服务", "老年保健品"}
var productsCounterfeit = []string{"白酒", "卷烟", "化肥", "农药", "服装", "汽车配件", "轮胎", "食用油", "即食海参"}

var volunteerActivities = []string{
	"文明交通劝导", "社区环境整治", "敬老院助老服务", "海滩清洁", "学雷锋志愿服务", "无偿献血宣传",
	"图书馆志愿服务", "防溺水巡查", "义务植树", "新时代文明实践站志愿服务", "助残志愿服务", "应急救援志愿服务",
}

var donationRecipients = []string{
	"荣成市慈善总会", "荣成市红十字会", "“慈心一日捐”活动", "荣成市教育基金会", "希望工程助学项目",
	"乡村振兴帮扶项目", "困难群众救助项目", "防汛救灾捐赠",
}

var marrowHospitals = []string{"山东省千佛山医院", "青岛大学附属医院", "北京大学人民医院", "苏州大学附属第一医院", "河北燕达陆道培医院"}

var titlesCity = []string{"荣成好人", "荣成市优秀志愿者", "荣成市道德模范", "荣成市劳动模范", "荣成市见义勇为先进个人", "荣成市最美家庭", "荣成市文明市民"}
var titlesProvincial = []string{"山东好人", "山东省劳动模范", "山东省道德模范", "齐鲁最美志愿者", "山东省见义勇为模范"}
var titlesNational = []string{"中国好人", "全国劳动模范", "全国道德模范", "全国优秀志愿者"}

const basisAward = "《山东省社会信用条例》第二十五条"

type penalty struct {
	severity  string
	text      string
	basis     string
	lo, hi    int // yuan
	roundedTo int
}

var penalties = []penalty{
	{"minor", "未按规定将营业执照置于住所或者营业场所醒目位置", "《中华人民共和国市场主体登记管理条例》第四十八条", 0, 3000, 100},
	{"minor", "经营者未按照规定明码标价", "《中华人民共和国价格法》第四十二条", 500, 5000, 100},
	{"minor", "未按规定建立并遵守进货查验记录制度", "《中华人民共和国食品安全法》第一百二十六条", 5000, 20000, 500},
	{"general", "生产经营不符合食品安全标准的食品", "《中华人民共和国食品安全法》第一百二十四条", 50000, 200000, 1000},
	{"general", "发布虚假广告", "《中华人民共和国广告法》第五十五条", 20000, 500000, 1000},
	{"general", "销售不合格产品", "《中华人民共和国产品质量法》第四十九条", 10000, 300000, 1000},
	{"general", "未取得许可从事经营活动", "《无证无照经营查处办法》第十三条", 10000, 100000, 1000},
	{"serious", "生产经营添加非食用物质的食品", "《中华人民共和国食品安全法》第一百二十三条", 100000, 2000000, 10000},
	{"serious", "未依法取得安全生产许可从事生产经营", "《中华人民共和国安全生产法》第九十七条", 100000, 1000000, 10000},
}

var abnormalReasons = []string{
	"未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告",
	"通过登记的住所或者经营场所无法联系",
	"公示企业信息隐瞒真实情况、弄虚作假",
}

var seriousReasons = []string{
	"因严重违法行为受到较重行政处罚",
	"提交虚假材料骗取市场主体登记",
	"拒不履行生效行政处罚决定",
}

const seriousAfterAbnormal = "被列入经营异常名录届满3年仍未履行相关义务"

var utilityNames = [...]string{"electricity", "water", "gas", "heating"}
var utilityPrefix = [...]string{"DL", "SW", "RQ", "GR"}
var arrearsBasis = [...]string{lawCivilCode + "第六百五十四条", lawCivilCode + "第六百五十六条", lawCivilCode + "第六百五十六条", lawCivilCode + "第六百五十六条"}
var theftBasis = [...]string{"《中华人民共和国电力法》第七十一条", "《城市供水条例》第三十五条", "《城镇燃气管理条例》第四十九条", "《中华人民共和国电力法》第七十一条"}
var damageBasis = [...]string{"《电力设施保护条例》第二十八条", "《城市供水条例》第三十五条", "《城镇燃气管理条例》第五十一条", "《电力设施保护条例》第二十八条"}

var feeNames = [...]string{"property_management", "parking", "sanitation"}
var feeBasis = [...]string{lawCivilCode + "第九百四十四条", "《山东省机动车停车管理办法》第二十九条", "《城市生活垃圾管理办法》第三十八条"}

var personTaxes = []string{"individual_income", "property", "land_use"}
var orgTaxes = []string{"value_added", "corporate_income", "stamp", "land_use", "property"}

var dogIssues = [...]string{"noise", "unleashed", "fouling", "bite"}
