# The end-to-end rollout policy: the example policy's critical triggers and judges with
# windows and bakes short enough for a test.

locals {
  sel      = "service=\"${service}\",version=\"${version}\""
  window   = "30s"
  requests = "sum(increase(inference_requests_total{${local.sel}}[${local.window}]))"
}

service "breast-cancer-dx" {
  evaluation_interval = "1s"
  baseline            = "stable"

  canary "fast" {
    initial_weight = 10
    max_weight     = 50

    step {
      weight = 10
      bake   = "8s"
    }
    step {
      weight   = 50
      bake     = "20s"
      analysis = ["error_rate_vs_baseline"]
    }

    confirm_before_promotion = false
    header_route {
      header = "x-canary"
      value  = "true"
    }
    ack_coverage      = 1.0
    progress_deadline = "1m"
    rollback_window   = "1h"
  }

  blue_green "validated-switch" {
    validation           = "golden"
    switch               = "instant"
    post_switch_window   = "15s"
    fast_rollback_window = "5m"
  }

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
      count = 5
    }
  }

  judge "error_rate_vs_baseline" {
    method      = "farrington_manning"
    events      = "sum(increase(inference_requests_total{${local.sel},outcome=\"error\"}[${interval}])) or vector(0)"
    trials      = "sum(increase(inference_requests_total{${local.sel}}[${interval}]))"
    direction   = "increase"
    margin      = 0.05
    alpha       = 0.05
    min_samples = 50
    critical    = true
  }

  clinical_validation "golden" {
    dataset            = "../../../examples/data/golden.csv"
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
