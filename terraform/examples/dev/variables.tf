variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "environment" {
  description = "Environment name, used in tags and the resource name prefix."
  type        = string
  default     = "dev"
}

variable "endpoint_public_access_cidrs" {
  description = "Your office/VPN CIDRs allowed to reach the Kubernetes API (dev: public endpoint)."
  type        = list(string)
}

variable "cluster_admin_arns" {
  description = "IAM users/roles that get cluster-admin."
  type        = list(string)
  default     = []
}

variable "github_repository" {
  description = "GitHub owner/repo whose workflows may deploy (empty: none)."
  type        = string
  default     = ""
}
