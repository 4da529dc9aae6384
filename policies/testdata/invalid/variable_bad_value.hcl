# vars: limit=abc
# vars: undeclared=1
# error: 1:1: a value is given for "undeclared", which the policy does not declare
# error: 6:10: variable "limit": the value given, "abc", is not a number
# error: 11:3: default is the string "yes" but the type is bool
variable "limit" {
  type = number
}
variable "flag" {
  type    = bool
  default = "yes"
}
service "svc" {
}
