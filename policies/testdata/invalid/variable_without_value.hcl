# error: 2:1: variable "error_rate_limit": no value is given and there is no default; give it a default, or pass a value
variable "error_rate_limit" {
  type = number
}
service "svc" {
}
