# The national pack's flight.book measure in Rego, for bench/decide.sh:
# OPA answers it over the same standings credo's decision table holds
# (data.standings[id][jurisdiction] = {grade, score, lists}).
package credo

import rego.v1

standing := data.standings[input.subject.id].national

default decision := true

decision := false if "dishonest_debtor" in standing.lists

decision := false if "spending_restricted" in standing.lists

default reason := "national:not_listed"

reason := "national:dishonest_debtor" if "dishonest_debtor" in standing.lists

reason := "national:spending_restricted" if {
	not "dishonest_debtor" in standing.lists
	"spending_restricted" in standing.lists
}

result := {"decision": decision, "context": {"reason_codes": [reason], "policy_version": "national@2024.1"}}
