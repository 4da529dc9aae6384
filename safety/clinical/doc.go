// Package clinical runs clinical validations: it replays a labelled golden data set
// through the mesh to one pinned model version (and, paired, to the version it would
// replace), computes the diagnostic performance of each with confidence intervals,
// compares them on the same cases, judges a policy's acceptance criteria on confidence
// bounds and returns a verdict, PASSED, FAILED or INCONCLUSIVE, with a JSON-encodable
// evidence record.
//
// The package has three layers that can be used separately:
//
//   - LoadCSV and LoadJSONL read a golden set into a Dataset.
//   - Run sends every case as one Open Inference Protocol ModelInfer call to each Target
//     (a gRPC connection, typically a proxyless xds:/// client, plus the request
//     metadata that pins the version) and collects one Answer per case and target.
//   - Evaluate is a pure function from a spec, a data set and the answers to a Result;
//     Run calls it once every answer is in.
//
// # Counting rules
//
// A case counts as answered by a target only when the call succeeded, the response
// could be read and the version that answered is the pinned one. Anything else counts
// as a wrong answer for the candidate (a positive case becomes a false negative, a
// negative case a false positive; its score ranks last for AUC), so failures can only
// make the candidate look worse. In paired comparisons a case the comparator did not
// answer counts as answered correctly by the comparator (its score ranks best), for
// the same reason: missing data never helps the candidate.
//
// # Verdict
//
// The verdict is decided in this order:
//
//  1. INCONCLUSIVE when the measurement itself cannot be trusted: some case was answered
//     (or failed) by a version other than the pinned one or by a server that named no
//     version, or more than MaxFailureFraction of a target's calls failed.
//  2. FAILED when any criterion fails, overall or in a subgroup with at least
//     min_subgroup_cases cases.
//  3. INCONCLUSIVE when any criterion is inconclusive, a minimum (min_cases,
//     min_positive_cases) is not met, or a subgroup is under-powered.
//  4. PASSED otherwise.
//
// A criterion passes only when a confidence bound clears its goal or margin and fails
// only when the opposite bound is beyond it (see CriterionResult); mcnemar_not_worse
// fails when the one-sided test finds the candidate worse and passes otherwise, except
// without discordant pairs, which is inconclusive.
//
// docs/clinical-validation.md describes the evidence record field by field.
package clinical
