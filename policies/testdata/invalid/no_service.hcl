# error: 1:1: the policy declares no service
variable "x" {
  type    = number
  default = 1
}
