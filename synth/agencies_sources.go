package synth

// The city's agencies, one source each: the shape of their rows and their
// source specs. Every source has its own format and encoding, its own
// column names (Chinese for most), date and amount styles and enum codes,
// mapped to credo's kinds by its spec.
//
//	source                          sends (the city's)           format  encoding
//	court.rongcheng                 court                        csv     gb18030
//	tax.rongcheng                   tax                          xlsx    (title row, blank line, header on row 3, Excel serial dates)
//	traffic_police.weihai           traffic_police               ndjson  utf-8
//	utility.rongcheng               utility                      xml     utf-8
//	charity.rongcheng               civil_affairs: donations     json    utf-8 (an array)
//	volunteer.rongcheng             civil_affairs: volunteering  csv     gbk
//	bank.weihai                     bank                         tsv     utf-8
//	market_regulator.rongcheng      market_regulator             csv     utf-8 with a BOM
//	red_cross.weihai                red_cross                    json    utf-8 (records at data.records)
//	housing.rongcheng               housing                      csv     gb18030 (a title and a date line above the header)
//	city_management.rongcheng       city_management              csv     utf-8
//	public_security.rongcheng       public_security              xml     gb18030 (Chinese element names)
//	government.rongcheng            government                   csv     gbk

import (
	"strconv"
	"unicode/utf8"
)

// orgType is the kind of organisation the code's registering authority and
// category say: 91 enterprise, 92 individual business, 93 farmers'
// cooperative, 5x social organisation, 1x public body.
func (r *rowCtx) orgType() string {
	id := r.trueID
	switch {
	case len(id) < 2:
		return "其他组织"
	case id[:2] == "91":
		return "企业"
	case id[:2] == "92":
		return "个体工商户"
	case id[:2] == "93":
		return "农民专业合作社"
	case id[0] == '5':
		return "社会组织"
	case id[0] == '1':
		return "机关事业单位"
	}
	return "其他组织"
}

// kindCode maps the record's kind to the agency's code.
func (r *rowCtx) kindCode(codes map[string]string, unknown string) string {
	return r.code(codes[r.rec.Kind], unknown)
}

func cut(raw []byte) []byte {
	k := len(raw) * 2 / 3
	for k > 0 && !utf8.RuneStart(raw[k]) {
		k--
	}
	return raw[:k]
}

var agencies = []*agency{
	court, tax, traffic, utility, charity, volunteer, bank, market,
	redCross, housing, cityManagement, publicSecurity, government,
}

// ---------------------------------------------------------------------------

var courtCodes = map[string]string{
	"court.judgment":                 "判决",
	"court.judgment_default":         "失信",
	"court.judgment_performed":       "履行",
	"finance.private_lending_breach": "借贷违约",
	"contract.breach_liable":         "合同违约",
}

var court = &agency{
	name: "court.rongcheng", source: "court", format: "csv", encoding: "gb18030",
	header: []string{"案号", "当事人", "主体类型", "证件号码", "性别", "出生日期", "住所地", "案件类别", "案由", "标的金额", "对方当事人", "裁判日期", "法律依据", "执行依据"},
	broken: []string{BrokenDate, BrokenAmount, BrokenCode, BrokenRecordID, BrokenExtraColumn},
	render: func(r *rowCtx) {
		typ := "自然人"
		if !r.person {
			typ = "法人"
			if r.orgType() == "个体工商户" {
				typ = "非法人组织"
			}
		}
		r.vals = append(r.vals, r.recordID(), r.name(), typ, r.id, r.sex("男", "女"), r.birth(dsSlash),
			r.address(), r.kindCode(courtCodes, "撤销"), r.attr("cause"), r.money(asSign, true),
			r.attr("counterparty"), r.when(dsSlash), r.rec.LegalBasis, r.rec.Evidence)
	},
	spec: `# 荣成市人民法院: judgments, listings of dishonest judgment debtors
# (失信被执行人) and their performance, exported monthly by the court's case
# system as a CSV in GB18030 with Chinese headers:
#
#   案号,当事人,主体类型,证件号码,性别,出生日期,住所地,案件类别,案由,标的金额,对方当事人,裁判日期,法律依据,执行依据
#   （2024）鲁1082执12号,王伟,自然人,3710821985…,男,1985/4/12,荣成市…,失信,民间借贷纠纷,"¥12,500.00",,2024/3/5,…,（2023）鲁1082民初456号
#
# Amounts written by hand come in Chinese numerals (一万二千五百元).
source: court.rongcheng
agency: 荣成市人民法院
mandate: 最高人民法院关于公布失信被执行人名单信息的若干规定（法释〔2017〕7号）；山东省社会信用条例第十四条
format: csv
encoding: gb18030

# The case number is unique in the court: it is the record id.
record_id: 案号

subject:
  kind_from:
    column: 主体类型
    map:
      自然人: person
      法人: organization
      非法人组织: organization
  id: 证件号码

identity:
  name: 当事人
  sex: 性别
  birth_date:
    column: 出生日期
    layouts: ["2006/1/2"]
  address: 住所地

kind:
  column: 案件类别
  map:
    判决: court.judgment                    # a judgment ordering payment or a penalty
    失信: court.judgment_default            # listed as a dishonest judgment debtor
    履行: court.judgment_performed          # performed: ends the listing
    借贷违约: finance.private_lending_breach
    合同违约: contract.breach_liable
occurred_at:
  column: 裁判日期
  layouts: ["2006/1/2"]

attributes:
  amount:
    column: 标的金额
    type: amount
  cause: 案由
  counterparty: 对方当事人

legal_basis: 法律依据
evidence: 执行依据
`,
}

// ---------------------------------------------------------------------------

var taxCodes = map[string]string{
	"individual_income": "个人所得税",
	"value_added":       "增值税",
	"corporate_income":  "企业所得税",
	"property":          "房产税",
	"land_use":          "城镇土地使用税",
	"stamp":             "印花税",
}

var tax = &agency{
	name: "tax.rongcheng", source: "tax", format: "xlsx",
	sheet: "欠税公告",
	title: func(y int) string {
		return "国家税务总局荣成市税务局" + strconv.Itoa(y) + "年度欠税公告"
	},
	header:    []string{"公告文号", "纳税人名称", "纳税人类型", "纳税人识别号", "性别", "出生日期", "生产经营地点", "税种", "欠税余额（元）", "欠税发生日期", "公告期次"},
	cellTypes: "tttttdttmdt",
	broken:    []string{BrokenDate, BrokenAmount, BrokenCode, BrokenRecordID, BrokenExtraColumn},
	render: func(r *rowCtx) {
		typ := "自然人"
		if !r.person {
			typ = r.orgType()
			if typ != "企业" && typ != "个体工商户" {
				typ = "其他组织"
			}
		}
		r.vals = append(r.vals, r.recordID(), r.name(), typ, r.id, r.sex("男", "女"), r.birth(dsExcel),
			r.address(), r.code(taxCodes[r.attr("tax")], "契税"), r.money(asFixed, false), r.when(dsExcel), r.rec.Evidence)
	},
	spec: `# 国家税务总局荣成市税务局: the yearly notice of tax arrears (欠税公告), an
# XLSX workbook as the tax office's staff make it: a merged title row
# ("国家税务总局荣成市2024年度欠税公告"), a blank line, the header on row 3;
# dates are date-formatted cells (so they read as Excel serial numbers,
# 45356 = 2024-03-05) and amounts number cells shown as 1,234.50.
source: tax.rongcheng
agency: 国家税务总局荣成市税务局
mandate: 中华人民共和国税收征收管理法第四十五条；欠税公告办法（试行）（国家税务总局令第9号）
format: xlsx
xlsx:
  sheet: 欠税公告
  header_row: 3          # row 1 is the merged title, row 2 blank

record_id: 公告文号

subject:
  kind_from:
    column: 纳税人类型
    map:
      企业: organization
      个体工商户: organization   # registered with a unified social credit code
      其他组织: organization
      自然人: person
  id: 纳税人识别号

identity:
  name: 纳税人名称
  sex: 性别
  birth_date:
    column: 出生日期
    layouts: [excel, "2006-01-02"]
  address: 生产经营地点

kind:
  const: tax.arrears
occurred_at:
  column: 欠税发生日期
  layouts: [excel, "2006-01-02", "2006/1/2"]

attributes:
  amount:
    column: 欠税余额（元）
    type: amount
    required: true
  tax:
    column: 税种
    map:
      个人所得税: individual_income
      增值税: value_added
      企业所得税: corporate_income
      房产税: property
      城镇土地使用税: land_use
      印花税: stamp

legal_basis:
  const: 《中华人民共和国税收征收管理法》第三十二条
evidence: 公告期次
`,
}

// ---------------------------------------------------------------------------

var trafficCodes = map[string]string{
	"traffic.warning":            "JG",
	"traffic.fine":               "FK",
	"traffic.licence_suspension": "ZK",
	"traffic.licence_12_points":  "MF",
	"traffic.drunk_driving":      "JJ",
}

var traffic = &agency{
	name: "traffic_police.weihai", source: "traffic_police", format: "ndjson", encoding: "utf-8",
	broken: []string{BrokenDate, BrokenAmount, BrokenCode, BrokenRecordID, BrokenTruncatedRow},
	render: func(r *rowCtx) {
		var j jsonObj
		j.begin(r.raw)
		j.str("decision_no", r.recordID())
		j.str("penalty", r.kindCode(trafficCodes, "CX"))
		j.str("occurred_at", r.when(dsRFC3339))
		j.open("driver")
		j.str("id_number", r.id)
		j.str("name", r.name())
		j.str("sex", r.sex("1", "2"))
		j.str("birth_date", r.birth(dsCompact))
		j.opt("phone", r.phone())
		j.close()
		if p := r.attr("plate"); p != "" {
			j.open("vehicle")
			j.str("plate", p)
			j.close()
		}
		if v := r.attr("violation"); v != "" {
			j.open("violation")
			j.str("description", v)
			j.close()
		}
		j.opt("location", r.attr("place"))
		j.num("fine", r.money(asPlain, false))
		j.num("points", r.attr("points"))
		j.num("bac", r.attr("bac"))
		j.num("suspension_months", r.attr("months"))
		j.str("evidence", r.rec.Evidence)
		j.str("basis", r.rec.LegalBasis)
		j.close()
		r.raw = j.b
		if r.brk == BrokenTruncatedRow {
			r.raw = cut(r.raw)
		}
	},
	spec: `# 威海市公安局交通警察支队: penalty decisions on traffic violations in
# Rongcheng, pushed by the traffic management system as NDJSON, one JSON
# object a line, nested objects flattened with dots:
#
#   {"decision_no":"371082202400012345","penalty":"FK","occurred_at":"2024-03-05T08:12:00+08:00",
#    "driver":{"id_number":"…","name":"王伟","sex":"1","birth_date":"19850412","phone":"138…"},
#    "vehicle":{"plate":"鲁K12345"},"violation":{"description":"驾驶机动车违反道路交通信号灯通行"},
#    "location":"青山路与海滨路路口","fine":200,"points":6,"evidence":"…","basis":"…"}
source: traffic_police.weihai
agency: 威海市公安局交通警察支队
mandate: 道路交通安全违法行为处理程序规定（公安部令第157号）；山东省社会信用条例第十四条
format: ndjson

record_id: decision_no

subject:
  kind: person
  id: driver.id_number

identity:
  name: driver.name
  sex: driver.sex            # GB/T 2261.1: 1 male, 2 female
  birth_date:
    column: driver.birth_date
    layouts: ["20060102"]
  phone: driver.phone

kind:
  column: penalty
  map:
    JG: traffic.warning              # 警告
    FK: traffic.fine                 # 罚款
    ZK: traffic.licence_suspension   # 暂扣驾驶证
    MF: traffic.licence_12_points    # 记满12分
    JJ: traffic.drunk_driving        # 饮酒、醉酒驾驶
occurred_at:
  column: occurred_at
  layouts: ["2006-01-02T15:04:05Z07:00"]

attributes:
  amount:
    column: fine
    type: amount
  points:
    column: points
    type: int
  bac:
    column: bac
    type: int
  months:
    column: suspension_months
    type: int
  place: location
  plate: vehicle.plate
  violation: violation.description

legal_basis: basis
evidence: evidence
`,
}

// ---------------------------------------------------------------------------

var utilityCodes = map[string]string{
	"utility.arrears":          "QF", // 欠费
	"utility.theft":            "QD", // 窃电、窃水、窃气
	"utility.equipment_damage": "SH", // 损坏设施
}

var utilityServices = map[string]string{"water": "水", "electricity": "电", "gas": "燃气", "heating": "供热"}

var utility = &agency{
	name: "utility.rongcheng", source: "utility", format: "xml", encoding: "utf-8",
	broken: []string{BrokenDate, BrokenAmount, BrokenCode, BrokenRecordID},
	render: func(r *rowCtx) {
		x := xmlEl{b: r.raw}
		cat := "居民"
		if !r.person {
			cat = "非居民"
		}
		x.open("notice", "id", r.recordID(), "type", r.kindCode(utilityCodes, "TZ"))
		x.open("customer", "category", cat)
		x.leaf("cert_no", r.id)
		x.leaf("name", r.name())
		x.leaf("sex", r.sex("男", "女"))
		x.leaf("birth", r.birth(dsISO))
		x.leaf("address", r.address())
		x.leaf("phone", r.phone())
		x.close("customer")
		x.leaf("service", utilityServices[r.attr("utility")])
		x.leaf("amount", r.money(asYuan, false))
		x.leaf("cycles", r.attr("cycles"))
		x.leaf("place", r.attr("place"))
		x.leaf("date", r.when(dsCompact))
		x.leaf("basis", r.rec.LegalBasis)
		x.leaf("evidence", r.rec.Evidence)
		x.close("notice")
		r.raw = x.b
	},
	spec: `# 荣成市公用事业服务中心: arrears, theft and damage notices of the city's
# water, electricity, gas and heating suppliers, collected in one XML
# export a year:
#
#   <export>
#   <notice id="DL2024030000017" type="QF"><customer category="居民"><cert_no>…</cert_no><name>王伟</name>
#     <sex>男</sex><birth>1985-04-12</birth><address>…</address><phone>…</phone></customer>
#     <service>电</service><amount>746.26元</amount><cycles>8</cycles><place/><date>20240305</date>
#     <basis>…</basis><evidence>户号8426267039</evidence></notice>
#   </export>
source: utility.rongcheng
agency: 荣成市公用事业服务中心
mandate: 山东省社会信用条例第十四条；荣成市公共信用信息目录（公用事业缴费信息）
format: xml
xml:
  record: export/notice

record_id: "@id"

subject:
  kind_from:
    column: customer/@category
    map:
      居民: person
      非居民: organization
  id: customer/cert_no

identity:
  name: customer/name
  sex: customer/sex
  birth_date:
    column: customer/birth
    layouts: ["2006-01-02"]
  phone: customer/phone
  address: customer/address

kind:
  column: "@type"
  map:
    QF: utility.arrears
    QD: utility.theft
    SH: utility.equipment_damage
occurred_at:
  column: date
  layouts: ["20060102"]

attributes:
  amount:
    column: amount
    type: amount
  cycles:
    column: cycles
    type: int
  place: place
  utility:
    column: service
    map:
      水: water
      电: electricity
      燃气: gas
      供热: heating

legal_basis: basis
evidence: evidence
`,
}

// ---------------------------------------------------------------------------

var charity = &agency{
	name: "charity.rongcheng", source: "civil_affairs", kinds: []string{"charity.donation"}, format: "json", encoding: "utf-8",
	broken: []string{BrokenDate, BrokenAmount, BrokenCode, BrokenRecordID},
	render: func(r *rowCtx) {
		typ := "个人"
		if !r.person {
			typ = "单位"
		}
		var j jsonObj
		j.begin(r.raw)
		j.str("receipt_no", r.recordID())
		j.str("donor_type", r.code(typ, "匿名"))
		j.str("donor", r.name())
		j.str("cert_no", r.id)
		j.opt("gender", r.sex("男", "女"))
		j.opt("birthday", r.birth(dsISO))
		j.str("mobile", r.phone())
		j.str("address", r.address())
		j.str("project", r.attr("recipient"))
		j.str("amount", r.money(asWan, true))
		j.str("donated_on", r.when(dsChinese))
		j.str("receipt", r.rec.Evidence)
		j.close()
		r.raw = j.b
	},
	spec: `# 荣成市慈善总会: donations received, from the charity's web system as a
# JSON array; amounts as the donor wrote them (960元, 1.2万元, 一千二百元),
# dates in Chinese (2024年3月5日):
#
#   [{"receipt_no":"鲁财捐202400000001","donor_type":"个人","donor":"王伟","cert_no":"…",
#     "gender":"男","birthday":"1985-04-12","mobile":"…","address":"…","project":"荣成市慈善总会",
#     "amount":"1.2万元","donated_on":"2024年3月5日","receipt":"公益事业捐赠统一票据"}, …]
source: charity.rongcheng
agency: 荣成市慈善总会
mandate: 中华人民共和国慈善法第九十一条；山东省社会信用条例第二十五条
format: json

record_id: receipt_no

subject:
  kind_from:
    column: donor_type
    map:
      个人: person
      单位: organization
  id: cert_no

identity:
  name: donor
  sex: gender
  birth_date:
    column: birthday
    layouts: ["2006-01-02"]
  phone: mobile
  address: address

kind:
  const: charity.donation
occurred_at:
  column: donated_on
  layouts: [chinese]

attributes:
  amount:
    column: amount
    type: amount
    required: true
  recipient: project

legal_basis:
  const: 《中华人民共和国慈善法》
evidence: receipt
`,
}

// ---------------------------------------------------------------------------

var volunteer = &agency{
	name: "volunteer.rongcheng", source: "civil_affairs", kinds: []string{"charity.volunteering"}, format: "csv", encoding: "gbk",
	header: []string{"记录编号", "志愿者姓名", "证件号码", "性别", "出生日期", "联系电话", "服务类别", "服务项目", "服务时长", "服务日期", "记录来源"},
	broken: []string{BrokenDate, BrokenCode, BrokenRecordID, BrokenExtraColumn},
	render: func(r *rowCtx) {
		hours := r.attr("hours")
		if r.chinese {
			if n, err := strconv.Atoi(hours); err == nil && n > 0 && n < 100 {
				hours = string(appendChineseSmall(nil, n))
			}
		}
		r.vals = append(r.vals, r.recordID(), r.name(), r.id, r.sex("男", "女"), r.birth(dsISO), r.phone(),
			r.code("志愿服务", "培训"), r.attr("activity"), hours, r.when(dsISO), r.rec.Evidence)
	},
	spec: `# 荣成市民政局 (志愿服务): volunteer service hours logged in the national
# volunteer service system, exported from its Windows client as a GBK CSV:
#
#   记录编号,志愿者姓名,证件号码,性别,出生日期,联系电话,服务类别,服务项目,服务时长,服务日期,记录来源
#   ZYFW3710202400000001,王伟,…,男,1985-04-12,138…,志愿服务,海滩清洁,2.5,2024-03-05,全国志愿服务信息系统服务记录
#
# Hours typed by hand may be in Chinese numerals (五).
source: volunteer.rongcheng
agency: 荣成市民政局
mandate: 志愿服务条例第二十条；山东省社会信用条例第二十五条
format: csv
encoding: gbk

record_id: 记录编号

subject:
  kind: person
  id: 证件号码

identity:
  name: 志愿者姓名
  sex: 性别
  birth_date:
    column: 出生日期
    layouts: ["2006-01-02"]
  phone: 联系电话

kind:
  column: 服务类别
  map:
    志愿服务: charity.volunteering
occurred_at:
  column: 服务日期
  layouts: ["2006-01-02"]

attributes:
  activity: 服务项目
  hours:
    column: 服务时长
    type: number
    required: true

legal_basis:
  const: 《志愿服务条例》
evidence: 记录来源
`,
}

// ---------------------------------------------------------------------------

var bankCodes = map[string]string{"finance.card_arrears": "CC", "finance.loan_arrears": "LN"}

var bank = &agency{
	name: "bank.weihai", source: "bank", format: "tsv", encoding: "utf-8",
	header: []string{"RPT_NO", "CUST_TYPE", "CERT_NO", "CUST_NAME", "GENDER", "BIRTH_DT", "MOBILE", "ADDR", "BIZ_TYPE", "INST_NAME", "OVD_AMT", "OVD_TERMS", "OVD_DATE", "CONTRACT_REF", "LEGAL_BASIS"},
	broken: []string{BrokenDate, BrokenAmount, BrokenCode, BrokenRecordID, BrokenExtraColumn},
	render: func(r *rowCtx) {
		typ := "1"
		if !r.person {
			typ = "2"
		}
		r.vals = append(r.vals, r.recordID(), typ, r.id, r.name(), r.sex("M", "F"), r.birth(dsCompact), r.phone(), r.address(),
			r.kindCode(bankCodes, "GT"), r.attr("institution"), r.money(asFixed, false), r.attr("cycles"),
			r.when(dsDateTime), r.rec.Evidence, r.rec.LegalBasis)
	},
	spec: `# 中国人民银行威海市分行: overdue credit cards and loans that the banks in
# Rongcheng report to the credit reference system, forwarded as a
# tab-separated extract with the database's column names:
#
#   RPT_NO	CUST_TYPE	CERT_NO	CUST_NAME	GENDER	BIRTH_DT	MOBILE	ADDR	BIZ_TYPE	INST_NAME	OVD_AMT	OVD_TERMS	OVD_DATE	CONTRACT_REF	LEGAL_BASIS
#   ICBC2024030000123	1	…	王伟	M	19850412	138…	…	CC	中国工商银行牡丹卡中心	4911.56	4	2024-03-05 03:16:13	…	…
source: bank.weihai
agency: 中国人民银行威海市分行
mandate: 征信业管理条例第十五条；征信业务管理办法（中国人民银行令〔2021〕第4号）
format: tsv

record_id: RPT_NO

subject:
  kind_from:
    column: CUST_TYPE
    map:
      "1": person          # 个人
      "2": organization    # 企业
  id: CERT_NO

identity:
  name: CUST_NAME
  sex: GENDER
  birth_date:
    column: BIRTH_DT
    layouts: ["20060102"]
  phone: MOBILE
  address: ADDR

kind:
  column: BIZ_TYPE
  map:
    CC: finance.card_arrears    # 信用卡
    LN: finance.loan_arrears    # 贷款
occurred_at:
  column: OVD_DATE
  layouts: ["2006-01-02 15:04:05"]

attributes:
  amount:
    column: OVD_AMT
    type: amount
    required: true
  cycles:
    column: OVD_TERMS
    type: int
  institution: INST_NAME

legal_basis: LEGAL_BASIS
evidence: CONTRACT_REF
`,
}

// ---------------------------------------------------------------------------

var marketCodes = map[string]string{
	"enterprise.admin_penalty":       "行政处罚",
	"enterprise.abnormal_operations": "经营异常",
	"enterprise.serious_violation":   "严重违法失信",
	"contract.breach":                "合同违约",
	"market.fraud":                   "消费欺诈",
	"market.counterfeit":             "假冒伪劣",
}

var severities = map[string]string{"minor": "轻微", "general": "一般", "serious": "严重"}

var market = &agency{
	name: "market_regulator.rongcheng", source: "market_regulator", format: "csv", encoding: "utf-8", bom: true,
	header: []string{"决定书文号", "当事人名称", "主体类型", "证照号码", "性别", "出生日期", "住所", "联系电话", "信息类别", "违法行为", "列入原因", "涉案商品或服务", "对方当事人", "处罚等级", "罚没金额", "决定日期", "法律依据", "证据"},
	broken: []string{BrokenDate, BrokenAmount, BrokenCode, BrokenRecordID, BrokenExtraColumn},
	render: func(r *rowCtx) {
		typ := "自然人"
		if !r.person {
			typ = r.orgType()
		}
		r.vals = append(r.vals, r.recordID(), r.name(), typ, r.id, r.sex("男", "女"), r.birth(dsChinesePad), r.address(), r.phone(),
			r.kindCode(marketCodes, "行政许可"), r.attr("violation"), r.attr("reason"), r.attr("product"), r.attr("counterparty"),
			severities[r.attr("severity")], r.money(asWan, false), r.when(dsChinesePad), r.rec.LegalBasis, r.rec.Evidence)
	},
	spec: `# 荣成市市场监督管理局: administrative penalties, listings in the directory
# of abnormal operations and of serious violators, breaches of contract,
# consumer fraud and counterfeits, from the enterprise credit information
# publicity system as a CSV in UTF-8 with a byte-order mark (as Excel saves
# it). Mostly organisations, by unified social credit code; some
# individuals, by identity number, in the same column.
source: market_regulator.rongcheng
agency: 荣成市市场监督管理局
mandate: 企业信息公示暂行条例第六条、第七条；市场监督管理严重违法失信名单管理办法（国家市场监督管理总局令第44号）
format: csv

record_id: 决定书文号

subject:
  kind_from:
    column: 主体类型
    map:
      企业: organization
      个体工商户: organization
      农民专业合作社: organization
      社会组织: organization
      机关事业单位: organization
      其他组织: organization
      自然人: person
  id: 证照号码

identity:
  name: 当事人名称
  sex: 性别
  birth_date:
    column: 出生日期
    layouts: [chinese]
  phone: 联系电话
  address: 住所

kind:
  column: 信息类别
  map:
    行政处罚: enterprise.admin_penalty
    经营异常: enterprise.abnormal_operations
    严重违法失信: enterprise.serious_violation
    合同违约: contract.breach
    消费欺诈: market.fraud
    假冒伪劣: market.counterfeit
occurred_at:
  column: 决定日期
  layouts: [chinese]

attributes:
  amount:
    column: 罚没金额
    type: amount
  violation: 违法行为
  reason: 列入原因
  product: 涉案商品或服务
  counterparty: 对方当事人
  severity:
    column: 处罚等级
    map:
      轻微: minor
      一般: general
      严重: serious

legal_basis: 法律依据
evidence: 证据
`,
}

// ---------------------------------------------------------------------------

var redCrossCodes = map[string]string{
	"charity.blood_donation":       "XY", // 献血
	"charity.bone_marrow_donation": "GX", // 造血干细胞
	"charity.organ_donation":       "QG", // 器官
}

var components = map[string]string{"whole_blood": "全血", "platelets": "单采血小板"}
var organs = map[string]string{"kidney": "肾脏", "liver": "肝脏", "cornea": "角膜", "multiple": "多器官", "pledge": "登记志愿"}

var redCross = &agency{
	name: "red_cross.weihai", source: "red_cross", format: "json", encoding: "utf-8",
	broken: []string{BrokenDate, BrokenCode, BrokenRecordID},
	render: func(r *rowCtx) {
		var j jsonObj
		j.begin(r.raw)
		j.str("serial", r.recordID())
		j.str("category", r.kindCode(redCrossCodes, "YT"))
		j.open("donor")
		j.str("name", r.name())
		j.str("idCard", r.id)
		j.str("gender", r.sex("男", "女"))
		j.str("birthday", r.birth(dsISO))
		j.opt("mobile", r.phone())
		j.close()
		if c := r.attr("component"); c != "" {
			j.open("blood")
			j.str("component", components[c])
			j.num("volume", r.attr("ml"))
			j.close()
		}
		if o := r.attr("organ"); o != "" {
			j.str("organ", organs[o])
		}
		j.opt("site", r.attr("place"))
		j.str("time", r.when(dsMinute))
		j.str("certificate", r.rec.Evidence)
		j.close()
		r.raw = j.b
	},
	spec: `# 威海市红十字会 and the Weihai central blood station: unpaid blood
# donations, haematopoietic stem cell donations and organ donation pledges,
# from the donation service platform's API as one JSON document a year:
#
#   {"data":{"records":[{"serial":"3710202400000001","category":"XY",
#     "donor":{"name":"王伟","idCard":"…","gender":"男","birthday":"1985-04-12","mobile":"…"},
#     "blood":{"component":"全血","volume":400},"time":"2024-03-05 15:57","certificate":"无偿献血证"}, …]}}
source: red_cross.weihai
agency: 威海市红十字会
mandate: 中华人民共和国献血法第六条；人体器官捐献和移植条例；山东省社会信用条例第二十五条
format: json
json:
  records: data.records

record_id: serial

subject:
  kind: person
  id: donor.idCard

identity:
  name: donor.name
  sex: donor.gender
  birth_date:
    column: donor.birthday
    layouts: ["2006-01-02"]
  phone: donor.mobile

kind:
  column: category
  map:
    XY: charity.blood_donation
    GX: charity.bone_marrow_donation
    QG: charity.organ_donation
occurred_at:
  column: time
  layouts: ["2006-01-02 15:04"]

attributes:
  component:
    column: blood.component
    map:
      全血: whole_blood
      单采血小板: platelets
  ml:
    column: blood.volume
    type: int
  organ:
    column: organ
    map:
      肾脏: kidney
      肝脏: liver
      角膜: cornea
      多器官: multiple
      登记志愿: pledge
  place: site

evidence: certificate
`,
}

// ---------------------------------------------------------------------------

var fees = map[string]string{"property_management": "物业费", "parking": "停车费", "sanitation": "卫生费"}

var housing = &agency{
	name: "housing.rongcheng", source: "housing", format: "csv", encoding: "gb18030",
	preamble: func(y int) []string {
		return []string{"荣成市物业服务企业业主欠费信息汇总表（" + strconv.Itoa(y) + "年度）", "导出时间：" + strconv.Itoa(y+1) + "-01-15 09:30:00"}
	},
	header: []string{"欠费编号", "业主姓名", "身份证号", "性别", "出生日期", "手机号码", "房屋坐落", "费用类型", "欠费金额", "欠费月数", "催缴日期", "催缴方式", "依据"},
	broken: []string{BrokenDate, BrokenAmount, BrokenCode, BrokenRecordID, BrokenExtraColumn},
	render: func(r *rowCtx) {
		r.vals = append(r.vals, r.recordID(), r.name(), r.id, r.sex("男", "女"), r.birth(dsSlashPad), r.phone(), r.address(),
			r.code(fees[r.attr("fee")], "供暖费"), r.money(asYuan, true), r.attr("cycles"), r.when(dsSlashPad), r.rec.Evidence, r.rec.LegalBasis)
	},
	spec: `# 荣成市住房和城乡建设局: unpaid property-management, parking and sanitation
# fees that the property service companies report, merged by the bureau
# into one GB18030 CSV a year, as its reporting tool exports it: a title
# line and an export-time line above the header, dates 2024/03/05, amounts
# 1555.27元 (a few written out: 一千二百元).
#
#   荣成市物业服务企业业主欠费信息汇总表（2024年度）
#   导出时间：2025-01-15 09:30:00
#   欠费编号,业主姓名,身份证号,性别,出生日期,手机号码,房屋坐落,费用类型,欠费金额,欠费月数,催缴日期,催缴方式,依据
source: housing.rongcheng
agency: 荣成市住房和城乡建设局
mandate: 物业管理条例第六十四条；山东省物业管理条例第八十二条；山东省社会信用条例第十四条
format: csv
encoding: gb18030
csv:
  header_row: 3          # below the title and the export time

record_id: 欠费编号

subject:
  kind: person
  id: 身份证号

identity:
  name: 业主姓名
  sex: 性别
  birth_date:
    column: 出生日期
    layouts: ["2006/01/02"]
  phone: 手机号码
  address: 房屋坐落

kind:
  const: finance.fee_arrears
occurred_at:
  column: 催缴日期
  layouts: ["2006/1/2"]

attributes:
  amount:
    column: 欠费金额
    type: amount
    required: true
  cycles:
    column: 欠费月数
    type: int
  fee:
    column: 费用类型
    map:
      物业费: property_management
      停车费: parking
      卫生费: sanitation

legal_basis: 依据
evidence: 催缴方式
`,
}

// ---------------------------------------------------------------------------

var dogIssueCodes = map[string]string{"noise": "犬吠扰民", "unleashed": "未拴犬链", "fouling": "犬只随地便溺", "bite": "犬只伤人"}

var cityManagement = &agency{
	name: "city_management.rongcheng", source: "city_management", format: "csv", encoding: "utf-8",
	header: []string{"文书编号", "当事人", "身份证号", "性别", "出生日期", "联系电话", "住址", "问题类型", "发生地点", "处理日期", "依据", "工单号"},
	broken: []string{BrokenDate, BrokenCode, BrokenRecordID, BrokenExtraColumn},
	render: func(r *rowCtx) {
		r.vals = append(r.vals, r.recordID(), r.name(), r.id, r.sex("男", "女"), r.birth(dsDot), r.phone(), r.address(),
			r.code(dogIssueCodes[r.attr("issue")], "犬只未免疫"), r.attr("place"), r.when(dsDot), r.rec.LegalBasis, r.rec.Evidence)
	},
	spec: `# 荣成市综合行政执法局: substantiated complaints about dogs (barking,
# unleashed, fouling, bites), from the 12345 hotline's case system as a
# UTF-8 CSV with dates written 2024.03.05.
source: city_management.rongcheng
agency: 荣成市综合行政执法局
mandate: 威海市养犬管理规定第十八条、第三十条；山东省社会信用条例第十四条
format: csv

record_id: 文书编号

subject:
  kind: person
  id: 身份证号

identity:
  name: 当事人
  sex: 性别
  birth_date:
    column: 出生日期
    layouts: ["2006.01.02"]
  phone: 联系电话
  address: 住址

kind:
  const: civic.dog_nuisance
occurred_at:
  column: 处理日期
  layouts: ["2006.01.02"]

attributes:
  issue:
    column: 问题类型
    required: true
    map:
      犬吠扰民: noise
      未拴犬链: unleashed
      犬只随地便溺: fouling
      犬只伤人: bite
  place: 发生地点

legal_basis: 依据
evidence: 工单号
`,
}

// ---------------------------------------------------------------------------

var publicSecurity = &agency{
	name: "public_security.rongcheng", source: "public_security", format: "xml", encoding: "gb18030",
	broken: []string{BrokenDate, BrokenCode, BrokenRecordID},
	render: func(r *rowCtx) {
		x := xmlEl{b: r.raw}
		cause := "阻碍执行职务"
		if d, _ := strconv.Atoi(r.attr("detention_days")); d >= 10 {
			cause = "袭警"
		}
		x.open("决定书", "文号", r.recordID())
		x.open("违法行为人")
		x.leaf("姓名", r.name())
		x.leaf("公民身份号码", r.id)
		x.leaf("性别", r.sex("男", "女"))
		x.leaf("出生日期", r.birth(dsChinese))
		x.leaf("现住址", r.address())
		x.leaf("联系电话", r.phone())
		x.close("违法行为人")
		x.leaf("案由", r.code(cause, "寻衅滋事"))
		x.leaf("拘留天数", r.attr("detention_days"))
		x.leaf("地点", r.attr("place"))
		x.leaf("决定时间", r.when(dsLocalT))
		x.leaf("法律依据", r.rec.LegalBasis)
		x.leaf("证据", r.rec.Evidence)
		x.close("决定书")
		r.raw = x.b
	},
	spec: `# 荣成市公安局: administrative penalty decisions for obstructing or
# assaulting officers on duty, from the police case system as XML in
# GB18030, with Chinese element names:
#
#   <治安管理处罚>
#   <决定书 文号="荣公（治）行罚决字〔2024〕1号"><违法行为人><姓名>王伟</姓名><公民身份号码>…</公民身份号码>
#     <性别>男</性别><出生日期>1985年4月12日</出生日期><现住址>…</现住址><联系电话>…</联系电话></违法行为人>
#     <案由>阻碍执行职务</案由><拘留天数>5</拘留天数><地点>崖头商业街</地点><决定时间>2024-03-05T09:06:35</决定时间>
#     <法律依据>…</法律依据><证据>…</证据></决定书>
#   </治安管理处罚>
source: public_security.rongcheng
agency: 荣成市公安局
mandate: 中华人民共和国治安管理处罚法第五十条；山东省社会信用条例第十四条
format: xml
encoding: gb18030
xml:
  record: 治安管理处罚/决定书

record_id: "@文号"

subject:
  kind: person
  id: 违法行为人/公民身份号码

identity:
  name: 违法行为人/姓名
  sex: 违法行为人/性别
  birth_date:
    column: 违法行为人/出生日期
    layouts: [chinese]
  phone: 违法行为人/联系电话
  address: 违法行为人/现住址

kind:
  column: 案由
  map:
    阻碍执行职务: public_order.violence_against_officer
    袭警: public_order.violence_against_officer
occurred_at:
  column: 决定时间
  layouts: ["2006-01-02T15:04:05"]

attributes:
  detention_days:
    column: 拘留天数
    type: int
  place: 地点

legal_basis: 法律依据
evidence: 证据
`,
}

// ---------------------------------------------------------------------------

var awardLevels = map[string]string{"award.national": "国家级", "award.provincial": "省级", "award.city": "市级"}
var awardBodies = map[string]string{"award.national": "中央精神文明建设指导委员会", "award.provincial": "山东省人民政府", "award.city": "荣成市人民政府"}

var government = &agency{
	name: "government.rongcheng", source: "government", format: "csv", encoding: "gbk",
	header: []string{"表彰文号", "姓名", "身份证号", "性别", "出生年月日", "荣誉称号", "表彰级别", "表彰日期", "表彰机关", "证明材料", "依据"},
	broken: []string{BrokenDate, BrokenCode, BrokenRecordID, BrokenExtraColumn},
	render: func(r *rowCtx) {
		r.vals = append(r.vals, r.recordID(), r.name(), r.id, r.sex("男", "女"), r.birth(dsCompact), r.attr("title"),
			r.kindCode(awardLevels, "区级"), r.when(dsChineseNum), awardBodies[r.rec.Kind], r.rec.Evidence, r.rec.LegalBasis)
	},
	spec: `# 荣成市人民政府办公室 (文明办): honours conferred on the city's people —
# city, provincial and national — kept by the civilisation office in a GBK
# CSV, with the dates of the decisions written out as documents write them
# (二〇二四年三月五日).
source: government.rongcheng
agency: 荣成市人民政府办公室
mandate: 山东省社会信用条例第二十五条；荣成市守信激励办法
format: csv
encoding: gbk

record_id: 表彰文号

subject:
  kind: person
  id: 身份证号

identity:
  name: 姓名
  sex: 性别
  birth_date:
    column: 出生年月日
    layouts: ["20060102"]

kind:
  column: 表彰级别
  map:
    国家级: award.national
    省级: award.provincial
    市级: award.city
occurred_at:
  column: 表彰日期
  layouts: [chinese]

attributes:
  title: 荣誉称号

legal_basis: 依据
evidence: 证明材料
`,
}
