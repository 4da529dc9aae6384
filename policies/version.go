package policies

import "regexp"

// modelVersionPattern is MAJOR.MINOR.PATCH-PHASE with Vigil's clinical phases.
var modelVersionPattern = regexp.MustCompile(`^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})-(PRECLINICAL|CLINICALINV|CLINICALVALID|PRODUCTION|FDAAPPROVED|CEMARKED|POSTMARKET)$`)

// isModelVersion reports whether s is a model version string such as "2.2.0-PRODUCTION".
func isModelVersion(s string) bool { return modelVersionPattern.MatchString(s) }

const versionHint = "a version is MAJOR.MINOR.PATCH-PHASE, e.g. 2.2.0-PRODUCTION, with PHASE one of PRECLINICAL, CLINICALINV, CLINICALVALID, PRODUCTION, FDAAPPROVED, CEMARKED or POSTMARKET"

// serviceNamePattern: a DNS-1123 subdomain, since service names become route, cluster and
// metric label values.
var serviceNamePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)

func isServiceName(s string) bool { return len(s) <= 253 && serviceNamePattern.MatchString(s) }
