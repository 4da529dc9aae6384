# Every block and argument of the policy language, with non-default values.

variable "error_rate_limit" {
  type        = number
  default     = 0.10
  description = "Highest acceptable share of failed inferences."
}

variable "team" {
  type    = string
  default = "oncology-ml"
}

locals {
  window   = "1m"
  selector = "service=\"${service}\",version=\"${version}\""
  requests = "sum(rate(inference_requests_total{${local.selector}}[${local.window}]))"
}

service "breast-cancer-dx" {
  evaluation_interval = "1s"
  baseline            = "stable"

  canary "standard" {
    initial_weight = 5
    max_weight     = 50
    step {
      weight   = 5
      bake     = "30s"
      analysis = ["error_rate_vs_baseline"]
    }
    step {
      weight = 25
      bake   = "1m"
    }
    step {
      weight  = 50
      bake    = "2m"
      confirm = true
    }
    confirm_before_start     = false
    confirm_before_promotion = true
    header_route {
      header = "x-canary"
      value  = "true"
    }
    ack_coverage = 0.9
    limits {
      failed       = 1
      errors       = 3
      inconclusive = 2
    }
    progress_deadline = "15m"
    rollback_window   = "24h"
    gate "change-board" {
      url     = "https://change-board.example/approve"
      timeout = "45s"
      at      = ["before_start", "before_promotion"]
    }
    notify {
      url    = "https://hooks.slack.com/services/T000/B000/XXXX"
      format = "slack"
      events = ["rolled_back", "promoted"]
    }
    notify {
      url = "http://alerts.internal:8080/vigil"
    }
  }

  blue_green "switch" {
    validation = "golden"
    switch     = "gradual"
    gradual {
      steps = [25, 50, 100]
      bake  = "30s"
    }
    header_route {
      header = "x-green"
      value  = "1"
    }
    post_switch_window   = "5m"
    fast_rollback_window = "10m"
    ack_coverage         = 1.0
  }

  trigger "accuracy_floor" {
    category  = "critical_safety"
    query     = "sum(rate(inference_feedback_total{${local.selector},label=\"malignant\",predicted=\"malignant\"}[1m]))"
    condition = "below"
    threshold = 0.80
    for       = "0s"
    action    = "rollback_immediately"
    on_no_data = "fail"
    min_samples {
      query = "sum(increase(inference_requests_total{${local.selector}}[1m]))"
      count = 50
    }
    applies_to = ["canary", "green", "stable"]
  }

  trigger "error_rate" {
    category       = "performance_degradation"
    query          = "${local.requests} / 1"
    condition      = "above"
    threshold      = var.error_rate_limit
    for            = "30s"
    consecutive    = 3
    action         = "rollback_after_warning"
    warning_period = "2m"
  }

  trigger "error_rate_vs_baseline" {
    category  = "system_instability"
    query     = "sum(rate(inference_requests_total{${local.selector},outcome=\"error\"}[1m]))"
    condition = "above"
    baseline {
      ratio = 1.5
      delta = 0.01
    }
    action     = "pause"
    on_no_data = "ignore"
  }

  judge "error_rate_vs_baseline" {
    method     = "farrington_manning"
    events     = "sum(increase(inference_requests_total{service=\"${service}\",version=\"${version}\",outcome=\"error\"}[${interval}]))"
    trials     = "sum(increase(inference_requests_total{service=\"${service}\",version=\"${version}\"}[${interval}]))"
    direction  = "increase"
    margin     = 0.01
    alpha      = 0.05
    confidence = 0.95
    min_samples = 200
    critical   = true
  }

  judge "latency" {
    method      = "mann_whitney"
    samples     = "histogram_quantile(0.9, sum by (le) (rate(inference_request_duration_seconds_bucket{service=\"${service}\",version=\"${version}\"}[${interval}])))"
    direction   = "increase"
    margin      = 0.1
    min_samples = 20
  }

  judge "adverse_events" {
    method      = "sprt"
    events      = "sum(increase(clinical_adverse_events_total{service=\"${service}\",version=\"${version}\"}[${interval}]))"
    trials      = "sum(increase(inference_requests_total{service=\"${service}\",version=\"${version}\"}[${interval}]))"
    direction   = "increase"
    p0          = 0.01
    p1          = 0.05
    beta        = 0.2
    min_samples = 100
  }

  clinical_validation "golden" {
    dataset            = "../data/golden.csv"
    dataset_sha256     = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
    against            = "current"
    confidence         = 0.95
    min_cases          = 100
    min_positive_cases = 30
    subgroups          = ["size_band"]
    min_subgroup_cases = 20
    interval           = "clopper_pearson"
    concurrency        = 4
    timeout            = "5s"
    require = [
      sensitivity.lower >= 0.90,
      specificity.lower >= 0.85,
      ppv.upper <= 0.99,
      noninferior(sensitivity, 0.05),
      noninferior(specificity, 0.05),
      auc_noninferior(0.02),
      mcnemar_not_worse(0.05),
    ]
  }
}
