# error: 13:17: undefined variable "limt"; did you mean "limit"?
# error: 14:23: undefined local "windw"; did you mean "window"?
# error: 15:17: unknown name "thresholds"; refer to variables as var.<name>
variable "limit" {
  type    = number
  default = 0.1
}
locals {
  window = "1m"
}
service "svc" {
  trigger "t" {
    threshold = var.limt
    query     = "up[${local.windw}]"
    category  = thresholds
    condition = "above"
    action    = "alert"
  }
}
