# Rollout policy of the demo service breast-cancer-dx: a classifier of breast tumours as
# malignant or benign, served by the demo model servers.
#
# The triggers encode Vigil's rollback-trigger table (critical safety, performance
# degradation, system instability) with its default thresholds; README.md in this directory
# explains each one. Bakes and windows are short so the demo runs in minutes.

variable "accuracy_floor" {
  type        = number
  default     = 0.80
  description = "Least acceptable share of correct predictions among cases with ground truth."
}

variable "error_rate_limit" {
  type        = number
  default     = 0.10
  description = "Highest acceptable share of failed inference requests."
}

variable "min_feedback" {
  type        = number
  default     = 50
  description = "Cases with ground truth needed in the window before accuracy is judged."
}

locals {
  # Every query selects one version of the service; the controller fills in the
  # placeholders when it runs the query.
  sel    = "service=\"${service}\",version=\"${version}\""
  window = "1m"

  requests = "sum(increase(inference_requests_total{${local.sel}}[${local.window}]))"
  errors   = "(sum(increase(inference_requests_total{${local.sel},outcome=\"error\"}[${local.window}])) or vector(0))"
}

service "breast-cancer-dx" {
  evaluation_interval = "1s"
  baseline            = "stable"

  canary "standard" {
    initial_weight = 5
    max_weight     = 50

    step {
      weight = 5
      bake   = "30s"
    }
    # The analysis steps bake 2 minutes: judges read one value per 10 s, and the latency
    # judge needs at least 10 per arm (a 1-minute bake gives 7 and could only ever be
    # inconclusive).
    step {
      weight   = 25
      bake     = "2m"
      analysis = ["error_rate_vs_baseline", "latency_vs_baseline"]
    }
    step {
      weight   = 50
      bake     = "2m"
      analysis = ["error_rate_vs_baseline", "latency_vs_baseline"]
    }

    confirm_before_promotion = true
    header_route {
      header = "x-canary"
      value  = "true"
    }
    ack_coverage      = 1.0
    progress_deadline = "2m"
    rollback_window   = "24h"
  }

  blue_green "validated-switch" {
    validation           = "golden"
    switch               = "instant"
    post_switch_window   = "2m"
    fast_rollback_window = "5m"
  }

  # Critical safety: roll back at once.

  trigger "accuracy_floor" {
    category  = "critical_safety"
    query     = <<-EOT
      (
          (sum(increase(inference_feedback_total{${local.sel},label="malignant",predicted="malignant"}[${local.window}])) or vector(0))
        + (sum(increase(inference_feedback_total{${local.sel},label="benign",predicted="benign"}[${local.window}])) or vector(0))
      )
      /
      sum(increase(inference_feedback_total{${local.sel}}[${local.window}]))
    EOT
    condition = "below"
    threshold = var.accuracy_floor
    action    = "rollback_immediately"
    min_samples {
      query = "sum(increase(inference_feedback_total{${local.sel}}[${local.window}]))"
      count = var.min_feedback
    }
  }

  # A missed cancer is the costliest error of this model: sensitivity (malignant cases
  # predicted malignant, among malignant cases with ground truth) has its own floor.
  trigger "sensitivity_floor" {
    category  = "critical_safety"
    query     = <<-EOT
      (sum(increase(inference_feedback_total{${local.sel},label="malignant",predicted="malignant"}[${local.window}])) or vector(0))
      /
      sum(increase(inference_feedback_total{${local.sel},label="malignant"}[${local.window}]))
    EOT
    condition = "below"
    threshold = 0.85
    action    = "rollback_immediately"
    min_samples {
      query = "sum(increase(inference_feedback_total{${local.sel},label=\"malignant\"}[${local.window}]))"
      count = 30
    }
  }

  # A model failing most of its requests is a safety problem, not a performance one: the
  # error share of the last scrape interval (irate) above one half rolls back at once.
  trigger "error_burst" {
    category  = "critical_safety"
    query     = "(sum(irate(inference_requests_total{${local.sel},outcome=\"error\"}[5s])) or vector(0)) / sum(irate(inference_requests_total{${local.sel}}[5s]))"
    condition = "above"
    threshold = 0.5
    action    = "rollback_immediately"
    min_samples {
      query = "sum(increase(inference_requests_total{${local.sel}}[5s]))"
      count = 5
    }
  }

  trigger "adverse_event_rate" {
    category  = "critical_safety"
    query     = "(sum(increase(clinical_adverse_events_total{${local.sel}}[${local.window}])) or vector(0)) / ${local.requests}"
    condition = "above"
    threshold = 0.01
    action    = "rollback_immediately"
    min_samples {
      query = local.requests
      count = 100
    }
  }

  # Performance degradation: warn, then roll back if it persists.

  trigger "error_rate" {
    category       = "performance_degradation"
    query          = "${local.errors} / ${local.requests}"
    condition      = "above"
    threshold      = var.error_rate_limit
    consecutive    = 3
    action         = "rollback_after_warning"
    warning_period = "30s"
  }

  trigger "latency_p95" {
    category       = "performance_degradation"
    query          = "histogram_quantile(0.95, sum by (le) (rate(inference_request_duration_seconds_bucket{${local.sel}}[${local.window}])))"
    condition      = "above"
    threshold      = 5 # seconds
    consecutive    = 3
    action         = "rollback_after_warning"
    warning_period = "30s"
  }

  trigger "timeout_rate" {
    category       = "performance_degradation"
    query          = "(sum(increase(inference_timeouts_total{${local.sel}}[${local.window}])) or vector(0)) / ${local.requests}"
    condition      = "above"
    threshold      = 0.05
    consecutive    = 3
    action         = "rollback_after_warning"
    warning_period = "30s"
  }

  # System instability.

  trigger "error_rate_vs_baseline" {
    category  = "system_instability"
    query     = "${local.errors} / ${local.requests}"
    condition = "above"
    baseline {
      ratio = 1.5
      delta = 0.01
    }
    for    = "10s"
    action = "pause"
    # Canary only: after a blue-green switch the baseline (blue) serves no traffic, so a
    # comparison with it has no data and would hold the post-switch window forever.
    applies_to = ["canary"]
  }

  trigger "service_down" {
    category   = "system_instability"
    query      = "sum(increase(inference_requests_total{${local.sel},outcome=\"ok\"}[30s])) or vector(0)"
    condition  = "below"
    threshold  = 0.5   # fewer than one successful request in 30 s
    for        = "10s" # a version that just received its first traffic has had no time to answer
    action     = "rollback_immediately"
    on_no_data = "fail"
  }

  # Judges run during the analysis steps of the canary plan.

  judge "error_rate_vs_baseline" {
    method      = "farrington_manning"
    events      = "sum(increase(inference_requests_total{${local.sel},outcome=\"error\"}[${interval}])) or vector(0)"
    trials      = "sum(increase(inference_requests_total{${local.sel}}[${interval}]))"
    direction   = "increase"
    margin      = 0.01
    alpha       = 0.05
    min_samples = 200
    critical    = true
  }

  # One median per 10 s step over that step alone (${interval}): windows that overlapped
  # would make neighbouring samples copies of each other, which Mann-Whitney's independence
  # assumption does not allow. This needs a scrape interval well under 10 s (the demo's is 1 s).
  judge "latency_vs_baseline" {
    method      = "mann_whitney"
    samples     = "histogram_quantile(0.5, sum by (le) (rate(inference_request_duration_seconds_bucket{${local.sel}}[${interval}])))"
    direction   = "increase"
    margin      = 0.1
    min_samples = 10
  }

  # The golden set is replayed against the candidate (and, paired, against the current
  # version) before a blue-green switch. No subgroup analysis here: in this data set the
  # only subgroup column, size_band, is confounded with the diagnosis (7 large benign and
  # 18 small malignant cases), so no subgroup could show a bound and the run would fail
  # closed as INCONCLUSIVE. Add subgroups = ["column"] when a data set can power them.

  clinical_validation "golden" {
    dataset            = "../data/golden.csv"
    against            = "current"
    confidence         = 0.95
    min_cases          = 100
    min_positive_cases = 30
    labels             = ["malignant", "benign"]
    interval           = "wilson"
    concurrency        = 8
    timeout            = "5s"
    require = [
      sensitivity.lower >= 0.85,
      specificity.lower >= 0.85,
      noninferior(sensitivity, 0.05),
      noninferior(specificity, 0.05),
    ]
  }
}
