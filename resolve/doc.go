// Package resolve is credo's record linkage: it finds the records that are
// about the same person or organisation when no clean identifier says so.
//
// In credo's data flow a record whose identifier passes its check is
// resolved deterministically at ingest; the rest — the identifier missing
// or mistyped — come here. ResolveBatch weighs such records against the
// identities of the subjects already known and decides, for each, a link
// (with its explanation), a review (with the candidates) or nothing.
// Linker is the engine beneath, usable on its own: it deduplicates one
// set of records or links two, and is what `credo link` runs over CSV
// files.
//
// The method is Fellegi–Sunter: each field of a pair of records lands on
// a graded level of agreement (names in Han characters and pinyin, dates,
// sex, phones, addresses, identifiers), each level adds log2(m/u) bits to
// the pair's match weight, u is estimated from random pairs and m by
// expectation–maximisation, agreement on a rare value counts more than on
// a common one, and only the pairs that blocking rules bring together are
// compared. No labels are used to fit anything. docs/link.md describes it
// in full.
package resolve
