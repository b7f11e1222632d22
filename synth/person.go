package synth

import (
	"strconv"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
)

// Person is one resident of the city.
type Person struct {
	Index     int       `json:"index"`
	IDNumber  string    `json:"id_number"`  // GB 11643 resident identity number, valid and unique
	Name      string    `json:"name"`       // Han characters: 王秀英
	Pinyin    string    `json:"pinyin"`     // Wang Xiuying
	Sex       credo.Sex `json:"sex"`        // matches the parity of the sequence digits
	BirthDate string    `json:"birth_date"` // YYYY-MM-DD
	Phone     string    `json:"phone"`      // 11-digit mobile number, unique
	Address   string    `json:"address"`    // home, in one of the city's districts
	District  string    `json:"district"`
	Origin    int       `json:"origin"` // household-registration code: the id number's first six digits
	Driver    bool      `json:"driver"` // holds a driving licence
	Plate     string    `json:"plate,omitempty"`
}

// Identity is the person's identifying attributes as an agency sends them.
func (p *Person) Identity() credo.Identity {
	return credo.Identity{IDNumber: p.IDNumber, Name: p.Name, BirthDate: p.BirthDate, Sex: p.Sex, Phone: p.Phone, Address: p.Address}
}

// Ref is the person's subject reference.
func (p *Person) Ref() credo.SubjectRef { return credo.SubjectRef{Kind: credo.Person, ID: p.IDNumber} }

// personCore is everything about a person as numbers; the strings are
// written from it on demand.
type personCore struct {
	index    int
	origin   int
	local    bool
	bday     int64 // unix day of birth
	y, m, d  int
	seq      int
	male     bool
	surname  int
	given    [2]int // glyph indexes, or (-1-era*2-sex, whole-name index)
	nGiven   int    // 1 or 2 glyphs; 0 for a whole name
	phonePre int
	phoneSuf int
	district int
	road     int
	number   int
	place    int // community or village-surname index
	vprefix  int
	vsuffix  int
	building int
	unit     int
	floor    int
	room     int
	driver   bool
	plate    [5]byte
}

const seqModulus = 499 // prime: the sequence scramble is a bijection

// coreID computes what person i's identity number and eligibility need:
// origin, birth date, sex, sequence and driving licence.
func (c *City) coreID(i int, p *personCore) {
	p.index = i
	// Identity-number slot: origin unit × birth-date unit × sex.
	s := c.idPerm.perm(uint64(i))
	p.male = s&1 == 1
	t := s >> 1
	u := (t * c.vRecip) >> 52 // t / vUnits, exact for t < 2^28
	v := t - u*c.vUnits
	ue := c.uTab[u]
	oi, us := int(ue>>16), int(ue&0xffff)
	bday, vs, wd := c.birthUnit(v)
	o := &origins[oi]
	p.origin = o.code
	p.local = o.code/100 == 3710
	p.bday = bday
	p.y, p.m, p.d = civil(bday)
	// Inside an (origin, date) bucket the slot numbers us·wd+vs are
	// distinct and below seqModulus; a per-bucket affine scramble (a
	// bijection, the modulus being prime) spreads them over 0..498.
	k := us*wd + vs
	scr := hash2(c.key, uint64(p.origin)<<20^uint64(p.bday))
	k = (k*(1+int(scr%(seqModulus-1))) + int(scr>>32)%seqModulus) % seqModulus
	if p.male {
		p.seq = 2*k + 1
	} else {
		p.seq = 2*k + 2
	}
	// Driving licences: most men and half the women born since the
	// fifties and sixties, few of the older.
	permille := 0
	switch {
	case p.male && p.y >= 1955:
		permille = maxDriverPermille
	case p.male:
		permille = 300
	case p.y >= 1965:
		permille = 480
	default:
		permille = 80
	}
	p.driver = c.licence(i) < permille
}

const maxDriverPermille = 760

// licence is the draw (0..999) that decides, with sex and age, whether
// person i holds a driving licence: at maxDriverPermille or more, never.
func (c *City) licence(i int) int { return int(hash2(c.key^kDriver, uint64(i)) % 1000) }

// coreRest computes the rest of person i after coreID: name, phone,
// address and plate.
func (c *City) coreRest(i int, p *personCore) {
	r := newRNG(hash2(c.key^kPerson, uint64(i)))
	if p.local {
		p.surname = c.surnamesLocal.draw(&r)
	} else {
		p.surname = c.surnamesOther.draw(&r)
	}
	era := 2
	switch {
	case p.y < 1966:
		era = 0
	case p.y < 1986:
		era = 1
	}
	sex := 1
	pool := femaleGlyphs
	if p.male {
		sex, pool = 0, maleGlyphs
	}
	single := [3]int{250, 330, 150}[era]
	switch x := r.intn(1000); {
	case x < single:
		p.nGiven = 1
		p.given[0] = r.intn(len(pool))
	case x < single+400:
		p.nGiven = 0
		p.given[0] = era*2 + sex
		p.given[1] = r.intn(len(givenNames[era][sex]))
	default:
		p.nGiven = 2
		p.given[0] = r.intn(len(pool))
		p.given[1] = r.intn(len(pool) - 1)
		if p.given[1] >= p.given[0] {
			p.given[1]++
		}
	}
	p.phonePre = c.phonePrefixes.draw(&r)
	p.phoneSuf = int(c.phonePerm.perm(uint64(i)))
	p.district = c.districts.draw(&r)
	p.road = r.intn(len(roads))
	p.number = 1 + r.intn(360)
	if districts[p.district].urban {
		p.place = r.intn(len(communities))
		p.building = 1 + r.intn(32)
		p.unit = 1 + r.intn(4)
		p.floor = 1 + r.intn(18)
		p.room = 1 + r.intn(4)
	} else {
		p.place = r.intn(len(villageSurnames))
		p.vprefix = r.intn(len(villagePrefixes))
		p.vsuffix = r.intn(len(villageSuffixes))
	}
	if p.driver {
		const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		p.plate[0] = letters[r.intn(len(letters))]
		for j := 1; j < 5; j++ {
			if j == 1 && r.chance(200) {
				p.plate[j] = letters[r.intn(len(letters))]
			} else {
				p.plate[j] = byte('0' + r.intn(10))
			}
		}
	}
}

func (c *City) core(i int, p *personCore) {
	c.coreID(i, p)
	c.coreRest(i, p)
}

// ageAt is the person's age in whole years on unix day d.
func (p *personCore) ageAt(d int64) int {
	y, m, dd := civil(d)
	a := y - p.y
	if m < p.m || (m == p.m && dd < p.d) {
		a--
	}
	return a
}

func (p *personCore) appendID(b []byte) []byte {
	return ident.AppendPersonID(b, p.origin, p.y, p.m, p.d, p.seq)
}

func (p *personCore) appendName(b []byte) []byte {
	b = append(b, surnames[p.surname].han...)
	switch p.nGiven {
	case 0:
		return append(b, givenNames[p.given[0]/2][p.given[0]%2][p.given[1]].han...)
	case 1:
		return append(b, p.glyphs()[p.given[0]].han...)
	}
	g := p.glyphs()
	b = append(b, g[p.given[0]].han...)
	return append(b, g[p.given[1]].han...)
}

func (p *personCore) glyphs() []glyph {
	if p.male {
		return maleGlyphs
	}
	return femaleGlyphs
}

func (p *personCore) appendPinyin(b []byte) []byte {
	b = append(b, surnames[p.surname].pinyin...)
	b = append(b, ' ')
	switch p.nGiven {
	case 0:
		return append(b, givenNames[p.given[0]/2][p.given[0]%2][p.given[1]].pinyin...)
	case 1:
		return appendTitle(b, p.glyphs()[p.given[0]].pinyin)
	}
	g := p.glyphs()
	b = appendTitle(b, g[p.given[0]].pinyin)
	second := g[p.given[1]].pinyin
	if c := second[0]; c == 'a' || c == 'o' || c == 'e' {
		b = append(b, '\'') // Xi'an, not Xian
	}
	return append(b, second...)
}

func appendTitle(b []byte, s string) []byte {
	return append(append(b, s[0]-'a'+'A'), s[1:]...)
}

func appendDate(b []byte, y, m, d int) []byte {
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append(b, byte('0'+m/10), byte('0'+m%10), '-')
	return append(b, byte('0'+d/10), byte('0'+d%10))
}

func (p *personCore) appendPhone(b []byte) []byte {
	b = append(b, phonePrefixes[p.phonePre].p...)
	return appendPadded(b, p.phoneSuf, 8)
}

// appendPadded writes n ≥ 0 in decimal, zero-padded to width digits (more
// if it needs them), two digits at a time from the right.
func appendPadded(b []byte, n, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for n >= 100 {
		q := n / 100
		d := (n - q*100) * 2
		i -= 2
		buf[i], buf[i+1] = digitPairs[d], digitPairs[d+1]
		n = q
	}
	if n >= 10 {
		i -= 2
		buf[i], buf[i+1] = digitPairs[2*n], digitPairs[2*n+1]
	} else {
		i--
		buf[i] = byte('0' + n)
	}
	for z := width - (len(buf) - i); z > 0; z-- {
		b = append(b, '0')
	}
	return append(b, buf[i:]...)
}

const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

func (p *personCore) appendAddress(b []byte) []byte {
	b = append(b, cityPrefix...)
	dist := &districts[p.district]
	b = append(b, dist.name...)
	if dist.urban {
		b = append(b, roads[p.road]...)
		b = strconv.AppendInt(b, int64(p.number), 10)
		b = append(b, "号"...)
		b = append(b, communities[p.place]...)
		b = strconv.AppendInt(b, int64(p.building), 10)
		b = append(b, "号楼"...)
		b = strconv.AppendInt(b, int64(p.unit), 10)
		b = append(b, "单元"...)
		b = strconv.AppendInt(b, int64(p.floor*100+p.room), 10)
		return append(b, "室"...)
	}
	b = append(b, villagePrefixes[p.vprefix]...)
	b = append(b, villageSurnames[p.place]...)
	b = append(b, villageSuffixes[p.vsuffix]...)
	b = strconv.AppendInt(b, int64(p.number), 10)
	return append(b, "号"...)
}

func (p *personCore) appendPlate(b []byte) []byte {
	b = append(b, plateCode...)
	return append(b, p.plate[:]...)
}

func (p *personCore) sex() credo.Sex {
	if p.male {
		return credo.Male
	}
	return credo.Female
}

// Person returns person i, 0 ≤ i < People. It panics on an index out of
// range.
func (c *City) Person(i int) Person {
	if i < 0 || i >= c.cfg.People {
		panic("synth: person index " + strconv.Itoa(i) + " out of range")
	}
	var p personCore
	c.core(i, &p)
	var buf [256]byte
	b := buf[:0]
	out := Person{Index: i, Sex: p.sex(), Origin: p.origin, Driver: p.driver, District: districts[p.district].name}
	b = p.appendID(b[:0])
	out.IDNumber = string(b)
	out.Name = string(p.appendName(b[:0]))
	out.Pinyin = string(p.appendPinyin(b[:0]))
	out.BirthDate = string(appendDate(b[:0], p.y, p.m, p.d))
	out.Phone = string(p.appendPhone(b[:0]))
	out.Address = string(p.appendAddress(b[:0]))
	if p.driver {
		out.Plate = string(p.appendPlate(b[:0]))
	}
	return out
}

// Age returns the person's age in whole years at a date (YYYY-MM-DD
// compared as a calendar date).
func (p *Person) Age(y, m, d int) int {
	py, _ := strconv.Atoi(p.BirthDate[:4])
	pm, _ := strconv.Atoi(p.BirthDate[5:7])
	pd, _ := strconv.Atoi(p.BirthDate[8:10])
	a := y - py
	if m < pm || (m == pm && d < pd) {
		a--
	}
	return a
}
