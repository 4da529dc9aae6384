# error: 8:5: unknown category "critical"; did you mean "critical_safety"?
# error: 10:5: unknown condition "over"
# error: 12:5: unknown action "rollback"
# error: 13:5: unknown on_no_data "skip"
# error: 14:29: applies_to: unknown value "blue"
service "svc" {
  trigger "t" {
    category   = "critical"
    query      = "up"
    condition  = "over"
    threshold  = 1
    action     = "rollback"
    on_no_data = "skip"
    applies_to = ["canary", "blue"]
  }
}
