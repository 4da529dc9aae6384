# error: 14:7: a lower bound is required to be at least a goal (>=); write sensitivity.lower >= 0.9
# error: 15:7: unknown criterion function "noninferiour"; did you mean "noninferior"?
# error: 16:7: unsupported criterion "accuracy"
# error: 17:7: put the metric bound on the left; write specificity.lower >= 0.8
# error: 18:7: unknown bound "npv.median"
# error: 19:25: goal 1.5 is outside (0, 1)
# error: 20:7: sensitivity is not a criterion: it compares nothing; write sensitivity.lower >= <goal>
service "svc" {
  clinical_validation "v" {
    dataset   = "golden.csv"
    min_cases = 100
    against   = "current"
    require = [
      sensitivity.lower > 0.9,
      noninferiour(sensitivity, 0.05),
      "accuracy",
      0.8 <= specificity.lower,
      npv.median >= 0.9,
      accuracy.lower >= 1.5,
      sensitivity,
    ]
  }
}
