package synth

import (
	"strconv"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
)

// Org is one organisation registered in the city: a company, an individual
// business, a cooperative, a social organisation, a public institution or
// a government office.
type Org struct {
	Index      int    `json:"index"`
	USCC       string `json:"uscc"` // GB 32100 unified social credit code, valid and unique
	Name       string `json:"name"`
	Type       string `json:"type"` // company, individual_business, cooperative, social_organisation, private_non_enterprise, public_institution, government
	Industry   string `json:"industry"`
	LegalRep   int    `json:"legal_rep"`  // index of the person who is its legal representative
	Registered string `json:"registered"` // YYYY-MM-DD
	Address    string `json:"address"`
	Phone      string `json:"phone"`
}

// Identity is the organisation's identifying attributes as an agency sends
// them.
func (o *Org) Identity() credo.Identity {
	return credo.Identity{IDNumber: o.USCC, Name: o.Name, Phone: o.Phone, Address: o.Address}
}

// Ref is the organisation's subject reference.
func (o *Org) Ref() credo.SubjectRef { return credo.SubjectRef{Kind: credo.Organization, ID: o.USCC} }

type orgCore struct {
	index    int
	typ      int
	industry int
	term     int
	brand    [2]int
	form     int
	prefix   int
	place    int // shop, trade, association, … by type
	district int
	road     int
	number   int
	vprefix  int
	vsurname int
	vsuffix  int
	reg      int64 // unix day of registration
	region   int
	body     uint64
	phone    int
}

var orgPrefixes = []string{"荣成市", "荣成市", "荣成市", "荣成市", "荣成市", "荣成", "威海", "威海", "威海市", "山东"}

// reform is the day unified social credit codes began (2015-10-01): codes
// issued since carry a new "MA" body, older ones the old numeric
// organisation code.
var reform = unixDay(2015, 10, 1)

func (c *City) orgCore(j int, o *orgCore) {
	o.index = j
	r := newRNG(hash2(c.key^kOrg, uint64(j)))
	o.typ = c.orgTypes.draw(&r)
	o.industry = c.inds.draw(&r)
	o.term = r.intn(len(industries[o.industry].terms))
	o.brand[0] = r.intn(len(brandGlyphs))
	o.brand[1] = r.intn(len(brandGlyphs) - 1)
	if o.brand[1] >= o.brand[0] {
		o.brand[1]++
	}
	o.form = r.intn(len(companyForms))
	o.prefix = r.intn(len(orgPrefixes))
	o.district = c.districts.draw(&r)
	o.road = r.intn(len(roads))
	o.number = 1 + r.intn(800)
	o.vprefix = r.intn(len(villagePrefixes))
	o.vsurname = r.intn(len(villageSurnames))
	o.vsuffix = r.intn(len(villageSuffixes))
	switch orgTypes[o.typ].name {
	case "individual_business":
		o.place = r.intn(len(shops))
	case "cooperative":
		o.place = r.intn(len(coopTrades))
	case "social_organisation":
		o.place = r.intn(len(associations))
	case "private_non_enterprise":
		o.place = r.intn(len(nonEnterprises))
	case "public_institution":
		o.place = r.intn(len(institutions))
	case "government":
		o.place = r.intn(len(offices))
	}
	// Registration: from 1992 to a month before the end of the events,
	// more of them recently (the larger of two uniform draws).
	first := unixDay(1992, 1, 1)
	if orgTypes[o.typ].name == "individual_business" {
		first = unixDay(2003, 1, 1)
	}
	last := c.startDay + int64(c.days) - 30
	span := int(last - first)
	o.reg = first + int64(max(r.intn(span), r.intn(span)))
	o.region = cityCode
	if o.prefix >= 6 && orgTypes[o.typ].name == "company" {
		o.region = 371000 // registered with the Weihai bureau
	}
	if o.reg >= reform {
		// "MA" and six characters over the code alphabet.
		o.body = (21*31+10)*887_503_681 + c.orgPerm.perm(uint64(j))
	} else {
		// Eight decimal digits, written as base-31 digits.
		n := c.oldPerm.perm(uint64(j))
		var body uint64
		for p := uint64(1); p < 31*31*31*31*31*31*31*31; p *= 31 {
			body += (n % 10) * p
			n /= 10
		}
		o.body = body
	}
	o.phone = 7_000_000 + r.intn(1_000_000)
}

func (o *orgCore) appendUSCC(b []byte) []byte {
	t := &orgTypes[o.typ]
	return append(b, ident.NewUSCC(t.authority, t.category, o.region, o.body)...)
}

func (o *orgCore) appendName(b []byte) []byte {
	switch orgTypes[o.typ].name {
	case "company":
		b = append(b, orgPrefixes[o.prefix]...)
		b = append(b, brandGlyphs[o.brand[0]]...)
		b = append(b, brandGlyphs[o.brand[1]]...)
		b = append(b, industries[o.industry].terms[o.term]...)
		return append(b, companyForms[o.form]...)
	case "individual_business":
		b = append(b, "荣成市"...)
		b = append(b, districtStem(districts[o.district].name)...)
		b = append(b, brandGlyphs[o.brand[0]]...)
		b = append(b, brandGlyphs[o.brand[1]]...)
		return append(b, shops[o.place]...)
	case "cooperative":
		b = append(b, "荣成市"...)
		b = o.appendVillage(b)
		b = append(b, coopTrades[o.place]...)
		return append(b, "专业合作社"...)
	case "social_organisation":
		b = append(b, "荣成市"...)
		return append(b, associations[o.place]...)
	case "private_non_enterprise":
		b = append(b, "荣成市"...)
		b = append(b, brandGlyphs[o.brand[0]]...)
		b = append(b, brandGlyphs[o.brand[1]]...)
		return append(b, nonEnterprises[o.place]...)
	case "public_institution":
		b = append(b, "荣成市"...)
		b = append(b, districts[o.district].name...)
		return append(b, institutions[o.place]...)
	}
	b = append(b, "荣成市"...)
	b = append(b, districts[o.district].name...)
	return append(b, offices[o.place]...)
}

// districtStem drops 街道 or 镇 from a district name: 崖头街道 → 崖头.
func districtStem(s string) string {
	switch {
	case len(s) > len("街道") && s[len(s)-len("街道"):] == "街道":
		return s[:len(s)-len("街道")]
	case len(s) > len("镇") && s[len(s)-len("镇"):] == "镇":
		return s[:len(s)-len("镇")]
	}
	return s
}

func (o *orgCore) appendVillage(b []byte) []byte {
	b = append(b, villagePrefixes[o.vprefix]...)
	b = append(b, villageSurnames[o.vsurname]...)
	return append(b, villageSuffixes[o.vsuffix]...)
}

func (o *orgCore) industryName() string {
	switch orgTypes[o.typ].name {
	case "company":
		return industries[o.industry].name
	case "individual_business":
		switch shops[o.place] {
		case "饭店", "海鲜排档":
			return "餐饮业"
		case "理发店", "家电维修部", "汽车修理部":
			return "居民服务、修理和其他服务业"
		}
		return "零售业"
	case "cooperative":
		if o.place < 2 {
			return "渔业"
		}
		return "农业"
	case "social_organisation", "private_non_enterprise":
		return "社会组织"
	case "public_institution":
		switch institutions[o.place] {
		case "中学", "小学":
			return "教育"
		case "卫生院":
			return "卫生"
		}
		return "公共管理、社会保障和社会组织"
	}
	return "公共管理、社会保障和社会组织"
}

func (o *orgCore) appendAddress(b []byte) []byte {
	b = append(b, cityPrefix...)
	b = append(b, districts[o.district].name...)
	if orgTypes[o.typ].name == "cooperative" {
		b = o.appendVillage(b)
	} else {
		b = append(b, roads[o.road]...)
	}
	b = strconv.AppendInt(b, int64(o.number), 10)
	return append(b, "号"...)
}

func (o *orgCore) appendPhone(b []byte) []byte {
	b = append(b, areaCode...)
	b = append(b, '-')
	return strconv.AppendInt(b, int64(o.phone), 10)
}

// Org returns organisation j, 0 ≤ j < Orgs. It panics on an index out of
// range.
func (c *City) Org(j int) Org {
	if j < 0 || j >= c.cfg.Orgs {
		panic("synth: organisation index " + strconv.Itoa(j) + " out of range")
	}
	var o orgCore
	c.orgCore(j, &o)
	var buf [256]byte
	y, m, d := civil(o.reg)
	// One conversion per statement: string(b) copies b, but a composite
	// literal may run every append before any conversion.
	out := Org{Index: j, Type: orgTypes[o.typ].name, Industry: o.industryName(), LegalRep: c.legalRep(j, o.reg)}
	out.USCC = string(o.appendUSCC(buf[:0]))
	out.Name = string(o.appendName(buf[:0]))
	out.Registered = string(appendDate(buf[:0], y, m, d))
	out.Address = string(o.appendAddress(buf[:0]))
	out.Phone = string(o.appendPhone(buf[:0]))
	return out
}

// legalRep picks organisation j's legal representative: a person who was
// between 22 and 70 when it was registered, when there is one among the
// first candidates drawn.
func (c *City) legalRep(j int, reg int64) int {
	r := newRNG(hash2(c.key^kLegalRep, uint64(j)))
	var p personCore
	best := 0
	for try := range 48 {
		i := r.intn(c.cfg.People)
		if try == 0 {
			best = i
		}
		c.core(i, &p)
		if a := p.ageAt(reg); a >= 22 && a <= 70 {
			return i
		}
	}
	return best
}
