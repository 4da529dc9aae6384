# Two services in one file, a pinned baseline, variables used for thresholds and goals,
# and a local holding a label selector with placeholders.
variable "floor" {
  type    = number
  default = 0.9
}

variable "baseline_version" {
  type = string
}

variable "strict" {
  type    = bool
  default = false
}

locals {
  by_version = "service=\"${service}\",version=\"${version}\""
  goal       = max(var.floor - 0.05, 0.5)
}

service "triage" {
  evaluation_interval = "5s"
  baseline            = var.baseline_version

  trigger "accuracy" {
    category  = "critical_safety"
    query     = "sum(rate(inference_feedback_total{${local.by_version}}[5m]))"
    condition = "below"
    threshold = var.floor
    for       = "10s"
    action    = "rollback_immediately"
  }

  clinical_validation "gold" {
    dataset   = "data/gold.csv"
    against   = "2.2.0-PRODUCTION"
    min_cases = 200
    require = [
      sensitivity.lower >= var.floor,
      (specificity.lower >= local.goal),
      noninferior(accuracy, 0.03),
    ]
  }
}

service "reports.dx" {
  canary "slow" {
    initial_weight       = 0.5
    confirm_before_start = var.strict
    step {
      weight = 0.5
      bake   = "10m"
    }
    step {
      weight = 12.25
      bake   = "10m"
    }
  }
}
