variable "name" {
  description = "Name prefix of the VPC and everything in it."
  type        = string
}

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC (/16 to /20); subnets are /24s: public at netnums 0.., private at 10.."
  type        = string

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 20
    error_message = "cidr_block must be a valid IPv4 CIDR with a prefix length between /16 and /20."
  }
}

variable "az_count" {
  description = "Number of Availability Zones, each with one public and one private subnet."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3."
  }
}

variable "azs" {
  description = "Availability Zone names to use, pinning the choice; empty (default) takes the first az_count zones of the Region."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.azs) == 0 || (length(var.azs) >= 2 && length(var.azs) <= 3)
    error_message = "azs must be empty or name two or three Availability Zones."
  }
}

variable "enable_nat_gateway" {
  description = "Create a single NAT gateway (in the first public subnet) as the private subnets' default route. Not free."
  type        = bool
  default     = false
}
