package promtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/prometheus/common/model"
)

// TargetGroup is a set of scrape targets that share one job and one set of extra labels.
type TargetGroup struct {
	// Job is the value of the "job" label on every series scraped from these targets. It
	// names the group: SetTargets replaces the group with the same Job. Letters, digits, '-'
	// and '_' only.
	Job string
	// Targets are host:port addresses serving /metrics over plain HTTP, for example
	// Exporter.Target(). Empty removes every target of the job.
	Targets []string
	// Labels are attached to every series scraped from these targets. "job" is reserved.
	Labels map[string]string
}

// jobName restricts job names to what is safe as a file name.
var jobName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// validate reports the first problem with g, naming the field.
func (g TargetGroup) validate() error {
	if !jobName.MatchString(g.Job) {
		return fmt.Errorf("target group Job %q: must be non-empty and use only letters, digits, '-' and '_'", g.Job)
	}
	for i, target := range g.Targets {
		if target == "" {
			return fmt.Errorf("target group %q: Targets[%d] is empty; want host:port", g.Job, i)
		}
	}
	for name := range g.Labels {
		if name == model.JobLabel {
			return fmt.Errorf("target group %q: Labels must not set %q; it comes from Job", g.Job, model.JobLabel)
		}
		if !model.LegacyValidation.IsValidLabelName(name) {
			return fmt.Errorf("target group %q: label name %q is not a valid Prometheus label name", g.Job, name)
		}
	}
	return nil
}

// fileSDGroup is one entry of a file_sd JSON file, in the format Prometheus documents for
// file_sd_configs.
type fileSDGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// writeTargets atomically replaces dir/<job>.json with g's targets, so Prometheus never
// reads a half-written file.
func writeTargets(dir string, g TargetGroup) error {
	labels := map[string]string{model.JobLabel: g.Job}
	for k, v := range g.Labels {
		labels[k] = v
	}
	targets := append([]string{}, g.Targets...)
	sort.Strings(targets)
	groups := []fileSDGroup{}
	if len(targets) > 0 {
		groups = append(groups, fileSDGroup{Targets: targets, Labels: labels})
	}
	data, err := json.MarshalIndent(groups, "", "  ")
	if err != nil {
		return fmt.Errorf("encode targets of job %q: %w", g.Job, err)
	}
	final := filepath.Join(dir, g.Job+".json")
	tmp, err := os.CreateTemp(dir, "."+g.Job+"-*.tmp")
	if err != nil {
		return fmt.Errorf("write targets of job %q: %w", g.Job, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write targets of job %q: %w", g.Job, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write targets of job %q: %w", g.Job, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write targets of job %q: %w", g.Job, err)
	}
	return nil
}

// promConfig is the part of prometheus.yml that promtest generates. YAML is a superset of
// JSON, so the file is written with encoding/json and read by Prometheus as YAML.
type promConfig struct {
	Global        promGlobal     `json:"global"`
	ScrapeConfigs []scrapeConfig `json:"scrape_configs"`
}

type promGlobal struct {
	ScrapeInterval     string `json:"scrape_interval"`
	ScrapeTimeout      string `json:"scrape_timeout"`
	EvaluationInterval string `json:"evaluation_interval"`
}

type scrapeConfig struct {
	JobName       string         `json:"job_name"`
	FileSDConfigs []fileSDConfig `json:"file_sd_configs"`
}

type fileSDConfig struct {
	Files           []string `json:"files"`
	RefreshInterval string   `json:"refresh_interval"`
}

// writeConfig writes the Prometheus configuration file: one scrape job whose targets come
// from every *.json file in targetsDir (each file sets its own "job" label).
func writeConfig(path, targetsDir string, scrape, evaluation time.Duration) error {
	cfg := promConfig{
		Global: promGlobal{
			ScrapeInterval:     model.Duration(scrape).String(),
			ScrapeTimeout:      model.Duration(scrape).String(),
			EvaluationInterval: model.Duration(evaluation).String(),
		},
		ScrapeConfigs: []scrapeConfig{{
			JobName: "promtest",
			FileSDConfigs: []fileSDConfig{{
				Files: []string{filepath.Join(targetsDir, "*.json")},
				// Changes are picked up through inotify at once; the periodic re-read is only
				// a safety net.
				RefreshInterval: "30s",
			}},
		}},
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("encode prometheus config: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write prometheus config: %w", err)
	}
	return nil
}
