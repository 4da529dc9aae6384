# error: 14:17: variable "c": default: var.b is a reference; a constant is needed here
# error: 15:17: variable "c": description: local.x is a reference
# error: 5:1: variable "a": missing required argument type
# error: 8:3: type = list is not a variable type
variable "a" {
}
variable "b" {
  type = list
}
service "svc" {
}
variable "c" {
  type        = number
  default     = var.b
  description = local.x
}
