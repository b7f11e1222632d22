package synth

import (
	"strconv"

	"github.com/credo-org/credo"
)

// Variants of a stub.
const (
	vPlain = iota
	vCriminal
	vDrink
	vTwelve
	vAfterAbnormal
)

var warnable = func() (t []int) {
	for i, v := range trafficViolations {
		if v.warn {
			t = append(t, i)
		}
	}
	return t
}()

var penaltiesBySeverity = func() map[string][]int {
	m := map[string][]int{}
	for i, p := range penalties {
		m[p.severity] = append(m[p.severity], i)
	}
	return m
}()

func money(fen int64) credo.Value { return credo.Number(float64(fen) / 100) }

// band is a range of whole yuan drawn with a weight; amounts are drawn from
// a few bands to get the long right tail of real amounts.
type band struct{ lo, hi, w int }

func drawBand(r *rng, bands []band) (lo, hi int) {
	total := 0
	for _, b := range bands {
		total += b.w
	}
	x := r.intn(total)
	for _, b := range bands {
		if x < b.w {
			return b.lo, b.hi
		}
		x -= b.w
	}
	return bands[0].lo, bands[0].hi
}

// fen draws an amount with cents from bands.
func fen(r *rng, bands []band) int64 {
	lo, hi := drawBand(r, bands)
	return int64(lo)*100 + int64(r.intn((hi-lo)*100+1))
}

// yuan draws a whole amount, a multiple of step, from bands.
func yuan(r *rng, step int, bands []band) int64 {
	lo, hi := drawBand(r, bands)
	return int64(lo/step+r.intn((hi-lo)/step+1)) * int64(step) * 100
}

func pickWeighted(r *rng, w ...int) int {
	total := 0
	for _, x := range w {
		total += x
	}
	x := r.intn(total)
	for i, y := range w {
		if x < y {
			return i
		}
		x -= y
	}
	return 0
}

func (g *gen) attrs(n int) { g.ev.Record.Attributes = g.ar.attributes(n) }

// set puts an attribute. The kinds set theirs in key order, so this is an
// append; Attributes.Set keeps it right otherwise.
func (g *gen) set(key string, v credo.Value) {
	a := &g.ev.Record.Attributes
	if n := len(*a); n < cap(*a) && (n == 0 || (*a)[n-1].Key < key) {
		*a = append(*a, credo.Attribute{Key: key, Value: v})
		return
	}
	a.Set(key, v)
}

// follow schedules an event caused by the one being expanded, about the
// same subject.
func (g *gen) follow(kind, variant int, cause uint8, amount int64, ref caseRef, after, upto int) {
	g.schedule(stub{
		kind:    uint8(kind),
		org:     g.ev.Subject == credo.Organization,
		subj:    int32(g.ev.Index),
		variant: uint8(variant),
		cause:   cause,
		amount:  amount,
		ref:     ref,
		link:    g.link,
	}, after, upto)
}

func (g *gen) plate() string {
	s := g.ar.begin(16)
	g.ar.b = append(g.ar.b, plateCode...)
	g.ar.b = append(g.ar.b, g.home.plate[:]...)
	return g.ar.end(s)
}

func (g *gen) trafficPlace() string {
	r := g.rng()
	if r.chance(600) {
		return crossings[r.intn(len(crossings))]
	}
	s := g.ar.begin(64)
	g.ar.b = append(g.ar.b, roads[r.intn(len(roads))]...)
	g.ar.b = strconv.AppendInt(g.ar.b, int64(1+r.intn(400)), 10)
	g.ar.b = append(g.ar.b, "号附近"...)
	return g.ar.end(s)
}

func (g *gen) trafficEvidence() string {
	r := g.rng()
	s := g.ar.begin(64)
	if g.onSite {
		g.ar.b = append(g.ar.b, "执法记录仪"...)
		g.ar.b = appendPadded(g.ar.b, r.intn(100000), 5)
	} else {
		g.ar.b = append(g.ar.b, "交通技术监控设备3710820"...)
		g.ar.b = appendPadded(g.ar.b, r.intn(10000), 4)
	}
	return g.ar.end(s)
}

// counterparty names the other party of a contract or loan: an
// organisation or a person, the same for every event of one chain.
func (g *gen) counterparty(personOnly bool) string {
	r := newRNG(g.link ^ 0x636f756e746572)
	s := g.ar.begin(128)
	if !personOnly && g.c.cfg.Orgs > 0 && r.chance(750) {
		var o orgCore
		g.c.orgCore(r.intn(g.c.cfg.Orgs), &o)
		g.ar.b = o.appendName(g.ar.b)
	} else {
		i := r.intn(g.c.cfg.People)
		g.c.core(i, &g.counter)
		g.ar.b = g.counter.appendName(g.ar.b)
	}
	return g.ar.end(s)
}

// appendDated writes prefix, the current year and month, and a padded serial.
func (g *gen) dated(prefix string, series, width int) string {
	ref := g.next(series)
	s := g.ar.begin(64)
	g.ar.b = append(g.ar.b, prefix...)
	g.ar.b = strconv.AppendInt(g.ar.b, int64(g.year), 10)
	g.ar.b = append(g.ar.b, byte('0'+g.month/10), byte('0'+g.month%10))
	g.ar.b = appendPadded(g.ar.b, int(ref.n), width)
	return g.ar.end(s)
}

func (g *gen) concat(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	s := g.ar.begin(n)
	for _, p := range parts {
		g.ar.b = append(g.ar.b, p...)
	}
	return g.ar.end(s)
}

func (g *gen) withNumber(prefix string, n, width int, suffix string) string {
	s := g.ar.begin(len(prefix) + len(suffix) + 20)
	g.ar.b = append(g.ar.b, prefix...)
	g.ar.b = appendPadded(g.ar.b, n, width)
	g.ar.b = append(g.ar.b, suffix...)
	return g.ar.end(s)
}

func causeBasis(cause uint8) string {
	switch causes[cause] {
	case "金融借款合同纠纷", "信用卡纠纷", "民间借贷纠纷":
		return lawCivilCode + "第六百七十五条"
	case "机动车交通事故责任纠纷":
		return lawCivilCode + "第一千二百零八条"
	case "劳务合同纠纷", "劳动争议":
		return "《中华人民共和国劳动合同法》第三十条"
	case "物业服务合同纠纷":
		return lawCivilCode + "第九百四十四条"
	case "追偿权纠纷":
		return lawCivilCode + "第七百条"
	case "危险驾驶罪":
		return "《中华人民共和国刑法》第一百三十三条之一"
	}
	return lawCivilCode + "第五百七十七条"
}

// fill writes the kind-specific part of the record: its source record id,
// attributes, legal basis and evidence, and schedules what it causes.
func (g *gen) fill(k int, st *stub) {
	rec := &g.ev.Record
	r := g.rng()
	org := g.ev.Subject == credo.Organization
	switch k {
	case kTrafficWarning:
		v := &trafficViolations[warnable[r.intn(len(warnable))]]
		g.attrs(3)
		g.set("place", credo.String(g.trafficPlace()))
		g.set("plate", credo.String(g.plate()))
		g.set("violation", credo.String(v.text))
		rec.SourceRecordID = g.refString(g.next(serTraffic), "")
		rec.LegalBasis = v.basis
		rec.Evidence = g.trafficEvidence()

	case kTrafficFine:
		v := &trafficViolations[r.intn(len(trafficViolations))]
		g.attrs(5)
		g.set("amount", money(int64(v.fine)*100))
		g.set("place", credo.String(g.trafficPlace()))
		g.set("plate", credo.String(g.plate()))
		g.set("points", credo.Int(int64(v.points)))
		g.set("violation", credo.String(v.text))
		rec.SourceRecordID = g.refString(g.next(serTraffic), "")
		rec.LegalBasis = v.basis
		rec.Evidence = g.trafficEvidence()

	case kLicence12:
		g.attrs(4)
		g.set("place", credo.String(g.trafficPlace()))
		g.set("plate", credo.String(g.plate()))
		g.set("points", credo.Int(12))
		g.set("violation", credo.String(twelvePointViolations[r.intn(len(twelvePointViolations))]))
		ref := g.next(serTraffic)
		rec.SourceRecordID = g.refString(ref, "")
		rec.LegalBasis = basis12
		rec.Evidence = g.trafficEvidence()
		if r.chance(600) {
			g.follow(kLicenceSuspension, vTwelve, 0, 0, ref, 1, 3)
		}

	case kLicenceSuspension:
		g.attrs(3)
		if st.variant == vDrink {
			g.set("months", credo.Int(6))
			g.set("violation", credo.String("饮酒后驾驶机动车"))
			rec.LegalBasis = lawRoadTraffic + "第九十一条第一款"
		} else {
			g.set("months", credo.Int(1))
			g.set("violation", credo.String("一个记分周期内记分满12分，扣留机动车驾驶证"))
			rec.LegalBasis = lawRoadTraffic + "第二十四条"
		}
		g.set("plate", credo.String(g.plate()))
		rec.SourceRecordID = g.refString(g.next(serTraffic), "")
		rec.Evidence = g.refString(st.ref, "")

	case kDrunkDriving:
		bac := 20 + r.intn(60)
		if r.chance(300) {
			bac = 80 + r.intn(1+r.intn(170))
		}
		var amount int64
		if bac < 80 {
			amount = int64(1000+500*r.intn(3)) * 100
			rec.LegalBasis = lawRoadTraffic + "第九十一条第一款"
			rec.Evidence = g.withNumber("呼气式酒精检测单", r.intn(1000000), 6, "")
		} else {
			rec.LegalBasis = lawRoadTraffic + "第九十一条第二款"
			rec.Evidence = g.withNumber("血液酒精含量检验鉴定意见书", r.intn(1000000), 6, "")
		}
		g.attrs(4)
		g.set("amount", money(amount))
		g.set("bac", credo.Int(int64(bac)))
		g.set("place", credo.String(g.trafficPlace()))
		g.set("plate", credo.String(g.plate()))
		ref := g.next(serTraffic)
		rec.SourceRecordID = g.refString(ref, "")
		switch {
		case bac < 80 && r.chance(950):
			g.follow(kLicenceSuspension, vDrink, 0, 0, ref, 1, 2)
		case bac >= 80 && r.chance(900):
			fine := int64(2000+1000*r.intn(19)) * 100
			g.follow(kJudgment, vCriminal, causeDrunk, fine, ref, 45, 200)
		}

	case kLoanArrears, kCardArrears:
		var amount int64
		var l *lender
		var cycles int
		if k == kLoanArrears {
			l = &banks[r.intn(len(banks))]
			if org {
				amount = fen(r, []band{{100_000, 1_000_000, 5}, {1_000_000, 10_000_000, 2}})
			} else {
				amount = fen(r, []band{{5_000, 50_000, 5}, {50_000, 300_000, 3}, {300_000, 1_500_000, 1}})
			}
			rec.Evidence = g.withNumber(l.name+"借款合同JK", r.intn(1000000), 6, "")
		} else {
			l = &cardIssuers[r.intn(len(cardIssuers))]
			amount = fen(r, []band{{1_000, 10_000, 5}, {10_000, 50_000, 3}, {50_000, 200_000, 1}})
			rec.Evidence = g.withNumber("信用卡领用合约，卡号尾号", r.intn(10000), 4, "")
		}
		switch x := r.intn(100); {
		case x < 60:
			cycles = 1 + r.intn(3)
		case x < 85:
			cycles = 4 + r.intn(3)
		default:
			cycles = 7 + r.intn(18)
		}
		g.attrs(3)
		g.set("amount", money(amount))
		g.set("cycles", credo.Int(int64(cycles)))
		g.set("institution", credo.String(l.name))
		rec.SourceRecordID = g.dated(l.code, serBank, 7)
		rec.LegalBasis = lawCivilCode + "第六百七十五条"
		cause, p := uint8(causeLoan), 120
		if k == kCardArrears {
			cause, p = causeCard, 80
		}
		if r.chance(p) {
			g.follow(kJudgment, vPlain, cause, amount*(105+int64(r.intn(20)))/100, caseRef{}, 90, 400)
		}

	case kFeeArrears:
		f := pickWeighted(r, 60, 25, 15)
		var amount int64
		var cycles int
		switch f {
		case 0:
			amount, cycles = fen(r, []band{{800, 6000, 1}}), 6+r.intn(31)
		case 1:
			amount, cycles = fen(r, []band{{300, 3000, 1}}), 3+r.intn(22)
		default:
			amount, cycles = fen(r, []band{{100, 600, 1}}), 6+r.intn(19)
		}
		g.attrs(3)
		g.set("amount", money(amount))
		g.set("cycles", credo.Int(int64(cycles)))
		g.set("fee", credo.String(feeNames[f]))
		rec.SourceRecordID = g.refString(g.next(serHousing), "")
		rec.LegalBasis = feeBasis[f]
		rec.Evidence = [...]string{"书面催缴通知（第一次）", "书面催缴通知（第二次）", "书面催缴通知（第三次）"}[r.intn(3)]

	case kContractBreach:
		var amount int64
		if org {
			amount = yuan(r, 100, []band{{50_000, 500_000, 5}, {500_000, 5_000_000, 2}})
		} else {
			amount = yuan(r, 100, []band{{5_000, 50_000, 5}, {50_000, 500_000, 2}})
		}
		g.attrs(2)
		g.set("amount", money(amount))
		g.set("counterparty", credo.String(g.counterparty(false)))
		rec.SourceRecordID = g.refString(g.next(serMarketContract), "")
		rec.LegalBasis = lawCivilCode + "第五百七十七条"
		rec.Evidence = g.withNumber("合同编号HT", r.intn(100000000), 8, "")
		if r.chance(300) {
			g.follow(kContractLiable, vPlain, causeContract, amount*int64(30+r.intn(71))/100, caseRef{}, 60, 300)
		}

	case kContractLiable, kPrivateLending:
		amount := st.amount
		if amount == 0 {
			amount = yuan(r, 100, []band{{20_000, 200_000, 5}, {200_000, 2_000_000, 2}})
		}
		g.attrs(2)
		g.set("amount", money(amount))
		g.set("counterparty", credo.String(g.counterparty(k == kPrivateLending)))
		ref := g.next(serCourtCivil)
		rec.SourceRecordID = g.refString(ref, "")
		rec.Evidence = g.refString(ref, "民事判决书")
		cause, p := uint8(causeContract), 300
		if k == kPrivateLending {
			cause, p = causeLending, 350
			rec.LegalBasis = lawCivilCode + "第六百七十五条"
		} else {
			rec.LegalBasis = lawCivilCode + "第五百七十七条、第五百八十四条"
		}
		if r.chance(p) {
			g.follow(kJudgmentDefault, vPlain, cause, amount, ref, 60, 240)
		}

	case kJudgment:
		cause := st.cause
		if cause == 0 {
			if org {
				cause = orgCauses[r.intn(len(orgCauses))]
			} else {
				cause = civilCauses[r.intn(len(civilCauses))]
			}
		}
		amount := st.amount
		if amount == 0 {
			if org {
				amount = yuan(r, 100, []band{{50_000, 500_000, 5}, {500_000, 10_000_000, 1}})
			} else {
				amount = yuan(r, 100, []band{{10_000, 100_000, 5}, {100_000, 2_000_000, 1}})
			}
		}
		g.attrs(2)
		g.set("amount", money(amount))
		g.set("cause", credo.String(causes[cause]))
		series, doc := serCourtCivil, "民事判决书"
		if st.variant == vCriminal {
			series, doc = serCourtCriminal, "刑事判决书"
		}
		ref := g.next(series)
		rec.SourceRecordID = g.refString(ref, "")
		rec.Evidence = g.refString(ref, doc)
		rec.LegalBasis = causeBasis(cause)
		if st.variant != vCriminal && r.chance(300) {
			g.follow(kJudgmentDefault, vPlain, cause, amount, ref, 60, 240)
		}

	case kJudgmentDefault:
		g.attrs(2)
		g.set("amount", money(st.amount))
		g.set("cause", credo.String(causes[st.cause]))
		ref := g.next(serCourtExec)
		rec.SourceRecordID = g.refString(ref, "")
		rec.Evidence = g.refString(st.ref, "")
		rec.LegalBasis = defaultBases[pickWeighted(r, 80, 5, 10, 5)]
		if r.chance(600) {
			g.follow(kJudgmentPerformed, vPlain, st.cause, st.amount, ref, 30, 720)
		}

	case kJudgmentPerformed:
		g.attrs(2)
		g.set("amount", money(st.amount))
		g.set("cause", credo.String(causes[st.cause]))
		rec.SourceRecordID = g.refString(st.ref, "之一")
		rec.Evidence = g.refString(st.ref, "")
		rec.LegalBasis = lawDishonest + "第十条"

	case kTaxArrears:
		var tax string
		var amount int64
		if org {
			t := r.intn(len(orgTaxes))
			tax = orgTaxes[t]
			amount = fen(r, [][]band{
				{{10_000, 200_000, 5}, {200_000, 2_000_000, 1}},
				{{10_000, 300_000, 5}, {300_000, 3_000_000, 1}},
				{{500, 50_000, 1}},
				{{5_000, 200_000, 1}},
				{{5_000, 300_000, 1}},
			}[t])
		} else {
			t := r.intn(len(personTaxes))
			tax = personTaxes[t]
			amount = fen(r, [][]band{{{500, 50_000, 1}}, {{300, 8_000, 1}}, {{200, 5_000, 1}}}[t])
		}
		g.attrs(2)
		g.set("amount", money(amount))
		g.set("tax", credo.String(tax))
		rec.SourceRecordID = g.refString(g.next(serTax), "")
		rec.LegalBasis = "《中华人民共和国税收征收管理法》第三十二条"
		s := g.ar.begin(64)
		g.ar.b = append(g.ar.b, "欠税公告（"...)
		g.ar.b = strconv.AppendInt(g.ar.b, int64(g.year), 10)
		g.ar.b = append(g.ar.b, "年第"...)
		g.ar.b = strconv.AppendInt(g.ar.b, int64((g.month+2)/3), 10)
		g.ar.b = append(g.ar.b, "期）"...)
		rec.Evidence = g.ar.end(s)

	case kUtilityArrears:
		var u int
		if org {
			u = pickWeighted(r, 60, 25, 15, 0)
		} else {
			u = pickWeighted(r, 40, 25, 20, 15)
			if u == 3 && g.month > 3 && g.month < 11 {
				u = 0 // no heating bills out of season
			}
		}
		var amount int64
		cycles := 2 + r.intn(11)
		switch u {
		case 0:
			amount = fen(r, []band{{200, 3000, 1}})
		case 1:
			amount = fen(r, []band{{100, 1500, 1}})
		case 2:
			amount = fen(r, []band{{200, 2500, 1}})
		default:
			amount = fen(r, []band{{1500, 4500, 1}})
			cycles = 1 + r.intn(3)
		}
		if org {
			amount *= 10
		}
		g.attrs(3)
		g.set("amount", money(amount))
		g.set("cycles", credo.Int(int64(cycles)))
		g.set("utility", credo.String(utilityNames[u]))
		rec.SourceRecordID = g.dated(utilityPrefix[u], serUtility, 7)
		rec.LegalBasis = arrearsBasis[u]
		account := hash2(g.c.key, uint64(g.ev.Index)<<3|uint64(u)<<1|b2u(org)) % 10_000_000_000
		rec.Evidence = g.withNumber("户号", int(account), 10, "")

	case kUtilityTheft, kEquipmentDamage:
		var u int
		var amount int64
		if k == kUtilityTheft {
			u = pickWeighted(r, 70, 15, 15)
			if u == 0 {
				amount = fen(r, []band{{2000, 50_000, 1}})
			} else {
				amount = fen(r, []band{{1000, 20_000, 1}})
			}
			if org {
				amount *= 5
			}
			g.attrs(2)
			rec.LegalBasis = theftBasis[u]
			rec.Evidence = g.withNumber("用电检查结果通知书", r.intn(1000000), 6, "")
			if u != 0 {
				rec.Evidence = g.withNumber("现场检查记录", r.intn(1000000), 6, "")
			}
		} else {
			u = pickWeighted(r, 50, 25, 25)
			amount = fen(r, []band{{500, 5000, 3}, {5000, 20_000, 1}})
			g.attrs(3)
			g.set("place", credo.String(g.trafficPlace()))
			rec.LegalBasis = damageBasis[u]
			rec.Evidence = g.withNumber("现场勘查笔录", r.intn(1000000), 6, "")
		}
		g.set("amount", money(amount))
		g.set("utility", credo.String(utilityNames[u]))
		rec.SourceRecordID = g.dated(utilityPrefix[u], serUtility, 7)

	case kViolence:
		g.attrs(2)
		g.set("detention_days", credo.Int(int64(5+r.intn(11))))
		g.set("place", credo.String(publicPlaces[r.intn(len(publicPlaces))]))
		rec.SourceRecordID = g.refString(g.next(serPolice), "")
		rec.LegalBasis = "《中华人民共和国治安管理处罚法》第五十条"
		rec.Evidence = "执法记录仪视频及询问笔录"

	case kDogNuisance:
		issue := pickWeighted(r, 4, 4, 2, 1)
		g.attrs(2)
		g.set("issue", credo.String(dogIssues[issue]))
		var place string
		h := &g.home
		if districts[h.district].urban {
			place = g.concat(districts[h.district].name, communities[h.place])
		} else {
			place = g.concat(districts[h.district].name, villagePrefixes[h.vprefix], villageSurnames[h.place], villageSuffixes[h.vsuffix])
		}
		g.set("place", credo.String(place))
		rec.SourceRecordID = g.refString(g.next(serCityMgmt), "")
		if dogIssues[issue] == "bite" {
			rec.LegalBasis = "《中华人民共和国治安管理处罚法》第七十五条"
		} else {
			rec.LegalBasis = "《威海市养犬管理规定》第十八条"
		}
		s := g.ar.begin(64)
		g.ar.b = append(g.ar.b, "12345热线工单"...)
		g.ar.b = appendDate(g.ar.b, g.year, g.month, civilDay(g.day))
		g.ar.b = append(g.ar.b, '-')
		g.ar.b = appendPadded(g.ar.b, r.intn(10000), 4)
		rec.Evidence = g.ar.end(s)

	case kFraud, kCounterfeit:
		var product string
		var amount int64
		if k == kFraud {
			product = productsFraud[r.intn(len(productsFraud))]
			rec.LegalBasis = "《中华人民共和国消费者权益保护法》第五十六条"
			rec.Evidence = "消费者投诉举报材料及调查笔录"
		} else {
			product = productsCounterfeit[r.intn(len(productsCounterfeit))]
			switch product {
			case "白酒", "卷烟", "服装", "汽车配件", "轮胎":
				rec.LegalBasis = "《中华人民共和国商标法》第六十条"
			default:
				rec.LegalBasis = "《中华人民共和国产品质量法》第五十条"
			}
			rec.Evidence = g.withNumber("抽样检验报告SJ", r.intn(1000000), 6, "")
		}
		if org {
			amount = yuan(r, 100, []band{{5_000, 100_000, 5}, {100_000, 1_000_000, 1}})
		} else {
			amount = yuan(r, 10, []band{{1_000, 20_000, 5}, {20_000, 200_000, 1}})
		}
		g.attrs(2)
		g.set("amount", money(amount))
		g.set("product", credo.String(product))
		rec.SourceRecordID = g.refString(g.next(serMarketPenalty), "")

	case kVolunteering:
		g.attrs(2)
		g.set("activity", credo.String(volunteerActivities[r.intn(len(volunteerActivities))]))
		g.set("hours", credo.Number(float64(2+r.intn(15))/2))
		rec.SourceRecordID = g.refString(g.next(serVolunteer), "")
		rec.LegalBasis = "《志愿服务条例》"
		rec.Evidence = "全国志愿服务信息系统服务记录"

	case kBloodDonation:
		g.attrs(2)
		if r.chance(850) {
			g.set("component", credo.String("whole_blood"))
			g.set("ml", credo.Int(int64([...]int{200, 300, 400}[pickWeighted(r, 2, 3, 5)])))
		} else {
			g.set("component", credo.String("platelets"))
			g.set("ml", credo.Int(int64(200*(1+r.intn(2)))))
		}
		rec.SourceRecordID = g.refString(g.next(serBlood), "")
		rec.LegalBasis = "《中华人民共和国献血法》"
		rec.Evidence = "无偿献血证"

	case kMarrowDonation:
		g.attrs(1)
		g.set("place", credo.String(marrowHospitals[r.intn(len(marrowHospitals))]))
		rec.SourceRecordID = g.refString(g.next(serMarrow), "")
		rec.LegalBasis = "《中华人民共和国红十字会法》第十一条"
		rec.Evidence = "造血干细胞捐献荣誉证书"

	case kOrganDonation:
		organ := [...]string{"pledge", "kidney", "liver", "cornea"}[pickWeighted(r, 85, 8, 4, 3)]
		g.attrs(1)
		g.set("organ", credo.String(organ))
		rec.SourceRecordID = g.refString(g.next(serOrgan), "")
		rec.LegalBasis = "《人体器官捐献和移植条例》"
		rec.Evidence = "人体器官捐献荣誉证书"
		if organ == "pledge" {
			rec.Evidence = "人体器官捐献志愿登记"
		}

	case kDonation:
		var amount int64
		if org {
			amount = yuan(r, 1000, []band{{5_000, 50_000, 5}, {50_000, 500_000, 1}})
		} else {
			amount = yuan(r, 10, []band{{50, 1_000, 6}, {1_000, 10_000, 3}, {10_000, 200_000, 1}})
		}
		g.attrs(2)
		g.set("amount", money(amount))
		g.set("recipient", credo.String(donationRecipients[r.intn(len(donationRecipients))]))
		rec.SourceRecordID = g.refString(g.next(serDonation), "")
		rec.LegalBasis = "《中华人民共和国慈善法》"
		rec.Evidence = "公益事业捐赠统一票据"

	case kAwardCity, kAwardProvincial, kAwardNational:
		titles, series := titlesCity, serAwardCity
		switch k {
		case kAwardProvincial:
			titles, series = titlesProvincial, serAwardProvince
		case kAwardNational:
			titles, series = titlesNational, serAwardNation
		}
		g.attrs(1)
		g.set("title", credo.String(titles[r.intn(len(titles))]))
		ref := g.next(series)
		rec.SourceRecordID = g.refString(ref, "")
		rec.LegalBasis = basisAward
		rec.Evidence = "表彰决定"

	case kAdminPenalty:
		sev := [...]string{"minor", "general", "serious"}[pickWeighted(r, 55, 38, 7)]
		choice := penaltiesBySeverity[sev]
		p := &penalties[choice[r.intn(len(choice))]]
		amount := int64(p.lo/p.roundedTo+r.intn((p.hi-p.lo)/p.roundedTo+1)) * int64(p.roundedTo) * 100
		g.attrs(3)
		g.set("amount", money(amount))
		g.set("severity", credo.String(sev))
		g.set("violation", credo.String(p.text))
		ref := g.next(serMarketPenalty)
		rec.SourceRecordID = g.refString(ref, "")
		rec.LegalBasis = p.basis
		rec.Evidence = g.refString(ref, "行政处罚决定书")
		if sev == "serious" && r.chance(100) {
			g.follow(kSeriousViolation, vPlain, 0, 0, ref, 30, 120)
		}

	case kAbnormalOperations:
		reason := pickWeighted(r, 70, 25, 5)
		g.attrs(1)
		g.set("reason", credo.String(abnormalReasons[reason]))
		ref := g.next(serMarketAbnormal)
		rec.SourceRecordID = g.refString(ref, "")
		rec.LegalBasis = "《企业经营异常名录管理暂行办法》第四条"
		rec.Evidence = g.refString(ref, "列入经营异常名录决定书")
		if reason == 0 && r.chance(100) {
			g.follow(kSeriousViolation, vAfterAbnormal, 0, 0, ref, 1095, 1125)
		}

	case kSeriousViolation:
		g.attrs(1)
		ref := g.next(serMarketSerious)
		if st.variant == vAfterAbnormal {
			g.set("reason", credo.String(seriousAfterAbnormal))
			rec.LegalBasis = "《市场监督管理严重违法失信名单管理办法》第十三条"
		} else {
			g.set("reason", credo.String(seriousReasons[r.intn(len(seriousReasons))]))
			rec.LegalBasis = "《市场监督管理严重违法失信名单管理办法》第二条"
		}
		rec.SourceRecordID = g.refString(ref, "")
		rec.Evidence = g.refString(ref, "列入严重违法失信名单决定书")
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func civilDay(d int64) int {
	_, _, dd := civil(d)
	return dd
}
