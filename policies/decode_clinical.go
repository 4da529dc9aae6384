package policies

import (
	"math"
	"path"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var sha256Pattern = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

func (d *decoder) decodeClinicalValidation(b *hclsyntax.Block) ClinicalValidation {
	r := d.reader(blockWhere(b), b.Body)
	c := ClinicalValidation{
		Name:             b.Labels[0],
		Confidence:       DefaultClinicalConfidence,
		MinSubgroupCases: DefaultSubgroupCases,
		Interval:         IntervalWilson,
		Concurrency:      DefaultConcurrency,
		Timeout:          DefaultCaseTimeout,
		PositiveLabel:    DefaultPositiveLabel,
		NegativeLabel:    DefaultNegativeLabel,
		Range:            b.DefRange(),
	}
	ds, dsa, ok := r.str("dataset", `"../data/golden.csv"`)
	if ok && r.checkDataset(dsa, ds) {
		c.Dataset = ds
	}
	r.required(dsa, b.DefRange(), "dataset", `"../data/golden.csv"`)
	if v, a, ok := r.str("dataset_sha256", `"<64 hex digits>"`); ok {
		if sha256Pattern.MatchString(v) {
			c.DatasetSHA256 = strings.ToLower(v)
		} else {
			r.errorf(a.SrcRange, "write the 64 hex digits printed by sha256sum", "dataset_sha256 = %q is not a SHA-256 in hex", v)
		}
	}
	againstOK := true
	against, aa, ok := r.str("against", `"current"`)
	if ok {
		c.Against.Range = aa.SrcRange
		switch {
		case against == "current":
			c.Against.Kind = AgainstCurrent
		case against == "none":
			c.Against.Kind = AgainstNone
		case isModelVersion(against):
			c.Against.Kind, c.Against.Version = AgainstVersion, against
		default:
			againstOK = false
			r.errorf(aa.SrcRange, `use "current" (the version serving when the validation runs), "none", or a version; `+versionHint,
				"against = %q is neither \"current\", \"none\" nor a version", against)
		}
	} else if aa != nil {
		againstOK = false
	}
	if v, _, ok := r.fraction("confidence", false); ok {
		c.Confidence = v
	}
	minCases, mca, ok := r.whole("min_cases", 1, math.MaxUint32, "100")
	if ok {
		c.MinCases = uint32(minCases)
	}
	r.required(mca, b.DefRange(), "min_cases", "100")
	if v, a, ok := r.whole("min_positive_cases", 0, math.MaxUint32, "30"); ok {
		if mca != nil && c.MinCases != 0 && uint32(v) > c.MinCases {
			r.errorf(a.SrcRange, "lower min_positive_cases or raise min_cases", "min_positive_cases %d is above min_cases %d", v, c.MinCases)
		} else {
			c.MinPositiveCases = uint32(v)
		}
	}
	subgroups, ranges, sga, ok := r.stringList("subgroups", `["size_band"]`)
	if ok {
		for i, s := range subgroups {
			switch {
			case strings.TrimSpace(s) == "":
				r.errorf(ranges[i], "name a column of the data set", "subgroups element %d is empty", i+1)
			case contains(c.Subgroups, s):
				r.errorf(ranges[i], "list each column once", "subgroups lists %q twice", s)
			default:
				c.Subgroups = append(c.Subgroups, s)
			}
		}
	}
	if v, a, ok := r.whole("min_subgroup_cases", 1, math.MaxUint32, "30"); ok {
		if sga == nil {
			r.errorf(a.SrcRange, "add subgroups = [\"column\"] or remove min_subgroup_cases", "min_subgroup_cases is set but there are no subgroups")
		} else {
			c.MinSubgroupCases = uint32(v)
		}
	}
	if labels, ranges, la, ok := r.stringList("labels", `["malignant", "benign"]`); ok {
		switch {
		case len(labels) != 2:
			r.errorf(la.SrcRange, `write the positive class first, then the negative one: labels = ["malignant", "benign"]`, "labels has %d elements; want 2", len(labels))
		case strings.TrimSpace(labels[0]) == "" || strings.TrimSpace(labels[1]) == "":
			r.errorf(ranges[0], "name both classes as the data set's label column spells them", "labels has an empty element")
		case labels[0] == labels[1]:
			r.errorf(ranges[1], "the two classes need different names", "labels lists %q twice", labels[0])
		default:
			c.PositiveLabel, c.NegativeLabel = labels[0], labels[1]
		}
	}
	if v, _, ok := enumAttr(r, "interval", intervalMethodNames); ok {
		c.Interval = v
	}
	if v, _, ok := r.whole("concurrency", 1, MaxConcurrency, "8"); ok {
		c.Concurrency = uint32(v)
	}
	if v, a, ok := r.duration("timeout", "5s"); ok {
		if v == 0 {
			r.errorf(a.SrcRange, "use a positive duration such as \"5s\"", "timeout must be longer than 0s")
		} else {
			c.Timeout = v
		}
	}
	ra := r.attr("require")
	if ra != nil {
		c.Require, _ = r.parseRequire(ra)
	}
	r.required(ra, b.DefRange(), "require", "[sensitivity.lower >= 0.9]")
	r.finish()

	if againstOK {
		d.checkComparator(r, &c, aa)
	}
	return c
}

// checkComparator: paired criteria need a version to pair with; against = "none" or a
// missing against is reported at each paired criterion.
func (d *decoder) checkComparator(r *blockReader, c *ClinicalValidation, aa *hclsyntax.Attribute) {
	if aa == nil {
		c.Against.Kind = AgainstNone
	}
	if c.Against.Kind != AgainstNone {
		return
	}
	for _, crit := range c.Require {
		if !crit.Paired() {
			continue
		}
		if aa == nil {
			r.errorf(crit.Range, `add against = "current" (or a version) to say what the candidate is compared with`,
				"require: %s compares with another version, but against is not set", crit.Source)
		} else {
			r.errorf(crit.Range, `set against = "current" (or a version), or remove this criterion`,
				"require: %s compares with another version, but against = \"none\"", crit.Source)
		}
	}
}

// checkDataset accepts an https URL or a relative, slash-separated path.
func (r *blockReader) checkDataset(a *hclsyntax.Attribute, s string) bool {
	switch {
	case s == "":
		r.errorf(a.SrcRange, "give a path relative to the policy file or an https URL", "dataset is empty")
	case strings.Contains(s, "://"):
		if isHTTPSURL(s) {
			return true
		}
		r.errorf(a.SrcRange, "data sets are fetched only over https", "dataset = %q is not an https URL", s)
	case path.IsAbs(s) || strings.Contains(s, `\`) || (len(s) > 1 && s[1] == ':'):
		r.errorf(a.SrcRange, "write the path relative to the policy file with forward slashes, so the policy works from any checkout",
			"dataset = %q is not a relative path", s)
	default:
		return true
	}
	return false
}
