package synth

import (
	"fmt"

	"github.com/credo-org/credo"
)

// The kinds of record the city produces. Names, sources and polarities
// come from the catalogue in package credo, so the two cannot drift apart.
const (
	kTrafficWarning = iota
	kTrafficFine
	kLicenceSuspension
	kLicence12
	kDrunkDriving
	kLoanArrears
	kCardArrears
	kFeeArrears
	kContractBreach
	kContractLiable
	kPrivateLending
	kJudgment
	kJudgmentDefault
	kJudgmentPerformed
	kTaxArrears
	kUtilityArrears
	kUtilityTheft
	kEquipmentDamage
	kViolence
	kDogNuisance
	kFraud
	kCounterfeit
	kVolunteering
	kBloodDonation
	kMarrowDonation
	kOrganDonation
	kDonation
	kAwardCity
	kAwardProvincial
	kAwardNational
	kAdminPenalty
	kAbnormalOperations
	kSeriousViolation
	nKinds
)

var kindNames = [nKinds]string{
	kTrafficWarning:     "traffic.warning",
	kTrafficFine:        "traffic.fine",
	kLicenceSuspension:  "traffic.licence_suspension",
	kLicence12:          "traffic.licence_12_points",
	kDrunkDriving:       "traffic.drunk_driving",
	kLoanArrears:        "finance.loan_arrears",
	kCardArrears:        "finance.card_arrears",
	kFeeArrears:         "finance.fee_arrears",
	kContractBreach:     "contract.breach",
	kContractLiable:     "contract.breach_liable",
	kPrivateLending:     "finance.private_lending_breach",
	kJudgment:           "court.judgment",
	kJudgmentDefault:    "court.judgment_default",
	kJudgmentPerformed:  "court.judgment_performed",
	kTaxArrears:         "tax.arrears",
	kUtilityArrears:     "utility.arrears",
	kUtilityTheft:       "utility.theft",
	kEquipmentDamage:    "utility.equipment_damage",
	kViolence:           "public_order.violence_against_officer",
	kDogNuisance:        "civic.dog_nuisance",
	kFraud:              "market.fraud",
	kCounterfeit:        "market.counterfeit",
	kVolunteering:       "charity.volunteering",
	kBloodDonation:      "charity.blood_donation",
	kMarrowDonation:     "charity.bone_marrow_donation",
	kOrganDonation:      "charity.organ_donation",
	kDonation:           "charity.donation",
	kAwardCity:          "award.city",
	kAwardProvincial:    "award.provincial",
	kAwardNational:      "award.national",
	kAdminPenalty:       "enterprise.admin_penalty",
	kAbnormalOperations: "enterprise.abnormal_operations",
	kSeriousViolation:   "enterprise.serious_violation",
}

// kindInfo is the catalogue entry of each kind, resolved once.
var kindInfo = func() (t [nKinds]credo.KindInfo) {
	for k, name := range kindNames {
		ki, ok := credo.LookupKind(name)
		if !ok {
			panic(fmt.Sprintf("synth: kind %q is not in credo's catalogue", name))
		}
		t[k] = ki
	}
	return t
}()

// KindNames lists every kind the city produces.
func KindNames() []string { return append([]string(nil), kindNames[:]...) }

// Hour-of-day profiles: weights for hours 0 to 23.
const (
	hTraffic = iota
	hNight
	hOffice
	hDay
	hBatch
	nHours
)

var hourWeights = [nHours][24]uint64{
	hTraffic: {1, 1, 1, 1, 1, 2, 4, 10, 10, 7, 6, 6, 5, 5, 6, 6, 7, 10, 10, 7, 5, 4, 3, 2},
	hNight:   {6, 4, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 2, 6, 9, 10, 10, 8},
	hOffice:  {0, 0, 0, 0, 0, 0, 0, 0, 2, 10, 10, 9, 1, 3, 10, 10, 9, 3, 0, 0, 0, 0, 0, 0},
	hDay:     {0, 0, 0, 0, 0, 0, 1, 3, 8, 8, 8, 8, 6, 6, 8, 8, 8, 8, 6, 5, 4, 2, 1, 0},
	hBatch:   {0, 2, 6, 6, 4, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
}

var hourAlias = func() (t [nHours]alias) {
	for h := range t {
		t[h] = newAlias(hourWeights[h][:])
	}
	return t
}()

// kindTiming is when a kind happens in the day and how long its agency
// takes to record it (seconds); onSite is the share (‰) recorded on the spot
// within an hour or two, the rest after the lag.
type kindTiming struct {
	hours          int
	lagMin, lagMax int
	onSite         int
}

const (
	hour = 3600
	day  = 24 * hour
)

var timing = [nKinds]kindTiming{
	kTrafficWarning:     {hTraffic, 1 * day, 10 * day, 400},
	kTrafficFine:        {hTraffic, 1 * day, 10 * day, 350},
	kLicenceSuspension:  {hOffice, 1 * hour, 2 * day, 0},
	kLicence12:          {hTraffic, 1 * day, 7 * day, 200},
	kDrunkDriving:       {hNight, 1 * hour, 6 * hour, 0},
	kLoanArrears:        {hBatch, 1 * day, 30 * day, 0},
	kCardArrears:        {hBatch, 1 * day, 30 * day, 0},
	kFeeArrears:         {hOffice, 7 * day, 60 * day, 0},
	kContractBreach:     {hOffice, 3 * day, 30 * day, 0},
	kContractLiable:     {hOffice, 0, 3 * day, 0},
	kPrivateLending:     {hOffice, 0, 3 * day, 0},
	kJudgment:           {hOffice, 0, 3 * day, 0},
	kJudgmentDefault:    {hOffice, 1 * day, 7 * day, 0},
	kJudgmentPerformed:  {hOffice, 1 * day, 10 * day, 0},
	kTaxArrears:         {hOffice, 1 * day, 15 * day, 0},
	kUtilityArrears:     {hBatch, 3 * day, 30 * day, 0},
	kUtilityTheft:       {hDay, 1 * day, 20 * day, 0},
	kEquipmentDamage:    {hDay, 1 * day, 10 * day, 0},
	kViolence:           {hDay, 2 * hour, 2 * day, 0},
	kDogNuisance:        {hDay, 1 * hour, 5 * day, 0},
	kFraud:              {hOffice, 5 * day, 30 * day, 0},
	kCounterfeit:        {hOffice, 5 * day, 30 * day, 0},
	kVolunteering:       {hDay, 1 * day, 14 * day, 0},
	kBloodDonation:      {hDay, 10 * 60, 1 * day, 0},
	kMarrowDonation:     {hDay, 1 * day, 30 * day, 0},
	kOrganDonation:      {hDay, 1 * day, 30 * day, 0},
	kDonation:           {hDay, 1 * day, 7 * day, 0},
	kAwardCity:          {hOffice, 0, 3 * day, 0},
	kAwardProvincial:    {hOffice, 0, 7 * day, 0},
	kAwardNational:      {hOffice, 0, 10 * day, 0},
	kAdminPenalty:       {hOffice, 5 * day, 20 * day, 0},
	kAbnormalOperations: {hOffice, 0, 10 * day, 0},
	kSeriousViolation:   {hOffice, 0, 20 * day, 0},
}

// Subject pools: whom a stream draws its subjects from.
const (
	poolRisk    = iota // people, by their propensity to get into trouble
	poolCivic          // people, by their propensity to help
	poolOrgRisk        // organisations, by their propensity to break rules
	poolOrgAny         // organisations, uniformly
)

// Eligibility: who can be the subject of a stream's events.
const (
	eAny       = iota
	eDriver    // holds a licence, under 80
	eDrinker   // holds a licence, under 75; five men for each woman
	eBorrower  // 20 to 70
	eWorking   // 22 to 70
	eYoung     // 18 to 65
	eVolunteer // up to 80
	eBlood     // 18 to 60
	eMarrow    // 18 to 45
	eOrgActive // registered by the day
)

// Day patterns.
const (
	wAll  = iota // every day
	wWork        // Monday to Friday
)

// Seasons.
const (
	sFlat      = iota
	sTraffic   // summer tourists, fewer in the Spring Festival months
	sVolunteer // Lei Feng day (5 March) and International Volunteer Day (5 December), weekends
	sBlood     // fewer donors around the Spring Festival
	sJuly      // abnormal-operations listings follow the 30 June annual-report deadline
)

// stream is one independent source of events: a kind, about people or
// organisations, at a rate per subject per year.
type stream struct {
	kind   int
	org    bool
	rate   float64
	pool   int
	elig   int
	week   int
	season int
}

// streams are the city's base rates. Follow-ups (court cases after
// arrears, defaults after judgments, performance after defaults, licence
// suspensions after drink-driving, …) come on top, from the events that
// cause them. With them a person has about 4 records in 5 years; most have
// 0 to 3, a few dozens.
var streams = []stream{
	{kTrafficWarning, false, 0.18, poolRisk, eDriver, wAll, sTraffic},
	{kTrafficFine, false, 0.24, poolRisk, eDriver, wAll, sTraffic},
	{kLicence12, false, 0.005, poolRisk, eDriver, wAll, sTraffic},
	{kDrunkDriving, false, 0.004, poolRisk, eDrinker, wAll, sFlat},
	{kLoanArrears, false, 0.025, poolRisk, eBorrower, wAll, sFlat},
	{kCardArrears, false, 0.035, poolRisk, eBorrower, wAll, sFlat},
	{kFeeArrears, false, 0.03, poolRisk, eAny, wWork, sFlat},
	{kContractBreach, false, 0.008, poolRisk, eWorking, wWork, sFlat},
	{kPrivateLending, false, 0.004, poolRisk, eWorking, wWork, sFlat},
	{kJudgment, false, 0.004, poolRisk, eWorking, wWork, sFlat},
	{kTaxArrears, false, 0.004, poolRisk, eWorking, wWork, sFlat},
	{kUtilityArrears, false, 0.03, poolRisk, eAny, wAll, sFlat},
	{kUtilityTheft, false, 0.0008, poolRisk, eWorking, wAll, sFlat},
	{kEquipmentDamage, false, 0.0004, poolRisk, eYoung, wAll, sFlat},
	{kViolence, false, 0.0002, poolRisk, eYoung, wAll, sFlat},
	{kDogNuisance, false, 0.006, poolRisk, eAny, wAll, sFlat},
	{kFraud, false, 0.001, poolRisk, eWorking, wWork, sFlat},
	{kCounterfeit, false, 0.001, poolRisk, eWorking, wWork, sFlat},
	{kVolunteering, false, 0.12, poolCivic, eVolunteer, wAll, sVolunteer},
	{kBloodDonation, false, 0.045, poolCivic, eBlood, wAll, sBlood},
	{kMarrowDonation, false, 0.00008, poolCivic, eMarrow, wWork, sFlat},
	{kOrganDonation, false, 0.0003, poolCivic, eAny, wAll, sFlat},
	{kDonation, false, 0.05, poolCivic, eAny, wAll, sFlat},
	{kAwardCity, false, 0.0025, poolCivic, eAny, wWork, sFlat},
	{kAwardProvincial, false, 0.0003, poolCivic, eAny, wWork, sFlat},
	{kAwardNational, false, 0.00003, poolCivic, eAny, wWork, sFlat},

	{kAdminPenalty, true, 0.10, poolOrgRisk, eOrgActive, wWork, sFlat},
	{kAbnormalOperations, true, 0.06, poolOrgRisk, eOrgActive, wWork, sJuly},
	{kSeriousViolation, true, 0.004, poolOrgRisk, eOrgActive, wWork, sFlat},
	{kTaxArrears, true, 0.04, poolOrgRisk, eOrgActive, wWork, sFlat},
	{kJudgment, true, 0.03, poolOrgRisk, eOrgActive, wWork, sFlat},
	{kContractBreach, true, 0.03, poolOrgRisk, eOrgActive, wWork, sFlat},
	{kLoanArrears, true, 0.015, poolOrgRisk, eOrgActive, wAll, sFlat},
	{kUtilityArrears, true, 0.02, poolOrgRisk, eOrgActive, wAll, sFlat},
	{kUtilityTheft, true, 0.002, poolOrgRisk, eOrgActive, wAll, sFlat},
	{kFraud, true, 0.006, poolOrgRisk, eOrgActive, wWork, sFlat},
	{kCounterfeit, true, 0.008, poolOrgRisk, eOrgActive, wWork, sFlat},
	{kDonation, true, 0.05, poolOrgAny, eOrgActive, wAll, sFlat},
}

// factor is the stream's relative intensity on a day (before
// normalisation to the yearly rate).
func (s *stream) factor(d int64) float64 {
	wd := (d + 4) % 7 // 0 Sunday … 6 Saturday
	if s.week == wWork && (wd == 0 || wd == 6) {
		return 0
	}
	_, m, dd := civil(d)
	switch s.season {
	case sTraffic:
		switch m {
		case 7, 8:
			return 1.3
		case 1, 2:
			return 0.85
		}
	case sVolunteer:
		switch {
		case m == 3 && dd == 5:
			return 8
		case m == 12 && dd == 5:
			return 4
		case wd == 0 || wd == 6:
			return 1.6
		}
	case sBlood:
		if m == 1 || m == 2 {
			return 0.7
		}
	case sJuly:
		if m == 7 {
			return 8
		}
		return 0.4
	}
	return 1
}
