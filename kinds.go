package credo

import "slices"

// KindInfo describes one kind of record: what it means, whom it can be
// about, which agency reports it, whether it counts for or against its
// subject, and the attributes a record of the kind carries.
//
// The catalogue returned by Kinds is the vocabulary policies are written
// in: a policy that names a kind outside it, or a record that arrives with
// one, is refused.
type KindInfo struct {
	Name     string        // dotted, lower case: "court.judgment_default"
	Polarity Polarity      // Negative, Positive, or Neutral (the end of an earlier record's effect)
	Subjects []SubjectKind // Person, Organization, or both
	// Source is the agency that reports records of this kind, as named in
	// Record.Source.
	Source      string
	Description string
	// Attributes are the names of the attributes every record of this kind
	// carries; LookupAttribute gives each one's type and meaning.
	Attributes []string
}

// AppliesTo reports whether records of the kind may be about a subject of
// kind k.
func (k KindInfo) AppliesTo(s SubjectKind) bool { return slices.Contains(k.Subjects, s) }

// AttributeInfo describes one attribute name. An attribute name means the
// same thing, with the same type, in every kind that uses it.
type AttributeInfo struct {
	Name        string
	Type        ValueKind
	Description string
}

var (
	kindPersons = []SubjectKind{Person}
	kindOrgs    = []SubjectKind{Organization}
	kindBoth    = []SubjectKind{Person, Organization}
)

// kindCatalogue is the catalogue, sorted by name.
var kindCatalogue = []KindInfo{
	{"award.city", Positive, kindPersons, "government",
		"an honour conferred by the city (e.g. 荣成好人, model worker, outstanding volunteer)",
		[]string{"title"}},
	{"award.national", Positive, kindPersons, "government",
		"a national honour (e.g. 中国好人, national model worker, national moral model)",
		[]string{"title"}},
	{"award.provincial", Positive, kindPersons, "government",
		"a provincial honour (e.g. 山东好人, provincial model worker)",
		[]string{"title"}},
	{"charity.blood_donation", Positive, kindPersons, "red_cross",
		"an unpaid blood donation (whole blood or platelets)",
		[]string{"component", "ml"}},
	{"charity.bone_marrow_donation", Positive, kindPersons, "red_cross",
		"a haematopoietic stem cell (bone marrow) donation through the China Marrow Donor Program",
		[]string{"place"}},
	{"charity.donation", Positive, kindBoth, "civil_affairs",
		"a charitable donation through a registered charity",
		[]string{"amount", "recipient"}},
	{"charity.organ_donation", Positive, kindPersons, "red_cross",
		"a living organ donation, or a registered pledge of posthumous organ donation",
		[]string{"organ"}},
	{"charity.volunteering", Positive, kindPersons, "civil_affairs",
		"volunteer service hours logged in the national volunteer service system",
		[]string{"activity", "hours"}},
	{"civic.dog_nuisance", Negative, kindPersons, "city_management",
		"a substantiated complaint about a dog: noise, unleashed, fouling, or a bite",
		[]string{"issue", "place"}},
	{"contract.breach", Negative, kindBoth, "market_regulator",
		"a breach of contract reported to the market regulator",
		[]string{"amount", "counterparty"}},
	{"contract.breach_liable", Negative, kindBoth, "court",
		"a court found the subject liable for a breach of contract",
		[]string{"amount", "counterparty"}},
	{"court.judgment", Negative, kindBoth, "court",
		"a court judgment against the subject ordering payment (civil) or a penalty (criminal)",
		[]string{"amount", "cause"}},
	{"court.judgment_default", Negative, kindBoth, "court",
		"the subject failed to perform an effective judgment and was listed as a dishonest judgment debtor (失信被执行人)",
		[]string{"amount", "cause"}},
	{"court.judgment_performed", Neutral, kindBoth, "court",
		"the subject performed a judgment it had defaulted on; ends the default's listing",
		[]string{"amount", "cause"}},
	{"enterprise.abnormal_operations", Negative, kindOrgs, "market_regulator",
		"listed in the directory of abnormal operations (经营异常名录): no annual report, unreachable at its address, …",
		[]string{"reason"}},
	{"enterprise.admin_penalty", Negative, kindOrgs, "market_regulator",
		"an administrative penalty decision against an enterprise",
		[]string{"amount", "severity", "violation"}},
	{"enterprise.serious_violation", Negative, kindOrgs, "market_regulator",
		"listed as a serious violator (严重违法失信名单)",
		[]string{"reason"}},
	{"finance.card_arrears", Negative, kindPersons, "bank",
		"credit-card repayments overdue, as reported to the credit reference system",
		[]string{"amount", "cycles", "institution"}},
	{"finance.fee_arrears", Negative, kindPersons, "housing",
		"unpaid property-management, parking or sanitation fees",
		[]string{"amount", "cycles", "fee"}},
	{"finance.loan_arrears", Negative, kindBoth, "bank",
		"loan repayments overdue, as reported to the credit reference system",
		[]string{"amount", "cycles", "institution"}},
	{"finance.private_lending_breach", Negative, kindPersons, "court",
		"a court found the subject in breach of a private lending (民间借贷) agreement",
		[]string{"amount", "counterparty"}},
	{"market.counterfeit", Negative, kindBoth, "market_regulator",
		"selling counterfeit or substandard goods",
		[]string{"amount", "product"}},
	{"market.fraud", Negative, kindBoth, "market_regulator",
		"consumer fraud found by the market regulator",
		[]string{"amount", "product"}},
	{"public_order.violence_against_officer", Negative, kindPersons, "public_security",
		"violence against, or obstruction of, an officer performing official duties",
		[]string{"detention_days", "place"}},
	{"tax.arrears", Negative, kindBoth, "tax",
		"tax overdue after the payment deadline",
		[]string{"amount", "tax"}},
	{"traffic.drunk_driving", Negative, kindPersons, "traffic_police",
		"driving after drinking (blood alcohol 20–79 mg/100 ml) or drunk (80 and over)",
		[]string{"amount", "bac", "place", "plate"}},
	{"traffic.fine", Negative, kindPersons, "traffic_police",
		"a traffic violation punished with a fine (and usually points)",
		[]string{"amount", "place", "plate", "points", "violation"}},
	{"traffic.licence_12_points", Negative, kindPersons, "traffic_police",
		"a violation scoring the full 12 points in one go, or points reaching 12 in a scoring cycle",
		[]string{"place", "plate", "points", "violation"}},
	{"traffic.licence_suspension", Negative, kindPersons, "traffic_police",
		"the driving licence suspended",
		[]string{"months", "plate", "violation"}},
	{"traffic.warning", Negative, kindPersons, "traffic_police",
		"a minor traffic violation punished with a warning",
		[]string{"place", "plate", "violation"}},
	{"utility.arrears", Negative, kindBoth, "utility",
		"electricity, water, gas or heating bills unpaid for several cycles",
		[]string{"amount", "cycles", "utility"}},
	{"utility.equipment_damage", Negative, kindPersons, "utility",
		"deliberate damage to utility equipment (meters, lines, pipes)",
		[]string{"amount", "place", "utility"}},
	{"utility.theft", Negative, kindBoth, "utility",
		"theft of electricity, water or gas (bypassed or tampered meter)",
		[]string{"amount", "utility"}},
}

var attributeCatalogue = []AttributeInfo{
	{"activity", KindString, "the volunteer activity or organisation"},
	{"amount", KindNumber, "an amount in yuan: fine, arrears, damages, judgment sum, donation, value of goods"},
	{"bac", KindInt, "blood alcohol concentration in mg/100 ml"},
	{"cause", KindString, "the cause of action (案由), e.g. 民间借贷纠纷, 危险驾驶罪"},
	{"component", KindString, "what was donated: whole_blood or platelets"},
	{"counterparty", KindString, "the other party to the contract or loan"},
	{"cycles", KindInt, "billing cycles (months) overdue"},
	{"detention_days", KindInt, "days of administrative detention"},
	{"fee", KindString, "the fee unpaid: property_management, parking or sanitation"},
	{"hours", KindNumber, "volunteer service hours"},
	{"institution", KindString, "the lending institution"},
	{"issue", KindString, "the dog nuisance: noise, unleashed, fouling or bite"},
	{"ml", KindInt, "donated volume in millilitres (platelets: 1 therapeutic unit counts as 200)"},
	{"months", KindInt, "months of suspension"},
	{"organ", KindString, "kidney, liver, cornea, multiple, or pledge (a registered posthumous pledge)"},
	{"place", KindString, "where it happened"},
	{"plate", KindString, "the vehicle's licence plate"},
	{"points", KindInt, "driving-licence penalty points (12 per scoring cycle)"},
	{"product", KindString, "the goods or service concerned"},
	{"reason", KindString, "the reason for the listing, as the decision states it"},
	{"recipient", KindString, "the charity or project receiving the donation"},
	{"severity", KindString, "the severity of an administrative penalty: minor, general or serious"},
	{"tax", KindString, "the tax: individual_income, value_added, corporate_income, property, land_use or stamp"},
	{"title", KindString, "the honour's title"},
	{"utility", KindString, "electricity, water, gas or heating"},
	{"violation", KindString, "the violation, as the deciding agency describes it"},
}

// Kinds returns the catalogue of record kinds, sorted by name. The slice is
// a copy; the KindInfo values share their Subjects and Attributes slices
// with the catalogue and must not be modified.
func Kinds() []KindInfo { return slices.Clone(kindCatalogue) }

// LookupKind returns the catalogue entry for a kind name.
func LookupKind(name string) (KindInfo, bool) {
	i, ok := slices.BinarySearchFunc(kindCatalogue, name, func(k KindInfo, n string) int {
		switch {
		case k.Name < n:
			return -1
		case k.Name > n:
			return 1
		}
		return 0
	})
	if !ok {
		return KindInfo{}, false
	}
	return kindCatalogue[i], true
}

// AttributeCatalogue returns every attribute name a kind may use, sorted by
// name.
func AttributeCatalogue() []AttributeInfo { return slices.Clone(attributeCatalogue) }

// LookupAttribute returns the type and meaning of an attribute name.
func LookupAttribute(name string) (AttributeInfo, bool) {
	i, ok := slices.BinarySearchFunc(attributeCatalogue, name, func(a AttributeInfo, n string) int {
		switch {
		case a.Name < n:
			return -1
		case a.Name > n:
			return 1
		}
		return 0
	})
	if !ok {
		return AttributeInfo{}, false
	}
	return attributeCatalogue[i], true
}
