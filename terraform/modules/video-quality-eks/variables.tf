variable "name" {
  description = "Name prefix for every resource (cluster, VPC, buckets, roles), e.g. \"vq-prod\". Lowercase letters, digits and dashes."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "region" {
  description = "AWS region the cluster runs in (used in outputs such as the kubeconfig command)."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource that supports them."
  type        = map(string)
  default     = {}
}

# ----------------------------------------------------------------------------------------------- network

variable "vpc_cidr" {
  description = "CIDR block of the new VPC. Subnets are carved as /20 (private) and /24 (public) per availability zone."
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "Availability zones to spread subnets and nodes over (at least 2; 3 for production)."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2
    error_message = "At least two availability zones are required by EKS."
  }
}

variable "single_nat_gateway" {
  description = "One shared NAT gateway (cheaper, dev) instead of one per availability zone (prod)."
  type        = bool
  default     = false
}

# ----------------------------------------------------------------------------------------------- cluster

variable "kubernetes_version" {
  description = "EKS Kubernetes version (the chart needs >= 1.30)."
  type        = string
  default     = "1.32"
}

variable "endpoint_public_access_cidrs" {
  description = "CIDR blocks allowed to reach the public Kubernetes API endpoint. Empty list: private endpoint only."
  type        = list(string)
  default     = []
}

variable "cluster_admin_arns" {
  description = "IAM principal ARNs (users or roles) granted cluster-admin through EKS access entries."
  type        = list(string)
  default     = []
}

# ----------------------------------------------------------------------------------------------- node groups

variable "cpu_node_instance_types" {
  description = "Instance types of the CPU node group (system add-ons, Prometheus, ingress, CPU-flavoured pods)."
  type        = list(string)
  default     = ["m6i.xlarge"]
}

variable "cpu_node_min_size" {
  description = "Minimum number of CPU nodes."
  type        = number
  default     = 2
}

variable "cpu_node_desired_size" {
  description = "Initial number of CPU nodes (later managed by the cluster autoscaler or Karpenter)."
  type        = number
  default     = 2
}

variable "cpu_node_max_size" {
  description = "Maximum number of CPU nodes."
  type        = number
  default     = 6
}

variable "gpu_node_instance_types" {
  description = "Instance types of the GPU node group (NVIDIA, one GPU each suits one detector or enhancer pod), e.g. g5.xlarge, g6.xlarge."
  type        = list(string)
  default     = ["g6.xlarge"]
}

variable "gpu_node_min_size" {
  description = "Minimum number of GPU nodes (0 lets the group scale to zero when idle)."
  type        = number
  default     = 0
}

variable "gpu_node_desired_size" {
  description = "Initial number of GPU nodes."
  type        = number
  default     = 1
}

variable "gpu_node_max_size" {
  description = "Maximum number of GPU nodes: bounds the HPA's reach (one GPU pod per node)."
  type        = number
  default     = 8
}

variable "gpu_node_disk_size" {
  description = "Root volume size (GiB) of GPU nodes: the CUDA/TensorRT images are several GB."
  type        = number
  default     = 100
}

variable "gpu_capacity_type" {
  description = "ON_DEMAND or SPOT for the GPU node group."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "SPOT"], var.gpu_capacity_type)
    error_message = "gpu_capacity_type must be ON_DEMAND or SPOT."
  }
}

variable "nvidia_device_plugin_version" {
  description = "Version of the NVIDIA k8s-device-plugin Helm chart that advertises nvidia.com/gpu on GPU nodes."
  type        = string
  default     = "0.17.4"
}

# ----------------------------------------------------------------------------------------------- workloads

variable "app_namespace" {
  description = "Kubernetes namespace the video-quality Helm release is installed in (IRSA trust is scoped to it)."
  type        = string
  default     = "videoquality"
}

variable "app_service_account" {
  description = "Kubernetes service account of the video-quality pods (the chart's serviceAccount.name, default the release full name)."
  type        = string
  default     = "vq-video-quality"
}

variable "monitoring_namespace" {
  description = "Namespace of Prometheus (kube-prometheus-stack); the CI/CD role may port-forward there for canary health checks."
  type        = string
  default     = "monitoring"
}

variable "ecr_repositories" {
  description = "ECR repositories to create for the service images."
  type        = list(string)
  default     = ["videoquality/detector", "videoquality/enhancer"]
}

variable "ecr_keep_images" {
  description = "Number of most recent images kept per ECR repository; older ones expire."
  type        = number
  default     = 50
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete the model bucket and the ECR repositories with their contents (dev only)."
  type        = bool
  default     = false
}

variable "github_repository" {
  description = "GitHub \"owner/repo\" allowed to assume the CI/CD role through GitHub's OIDC provider. Empty: no CI/CD role."
  type        = string
  default     = ""
}

variable "github_oidc_provider_arn" {
  description = "ARN of an existing token.actions.githubusercontent.com OIDC provider in the account. Empty: create one."
  type        = string
  default     = ""
}

variable "enable_cluster_autoscaler" {
  description = "Install the Kubernetes cluster autoscaler (IRSA + Helm) so node groups grow and shrink with the HPA's pods."
  type        = bool
  default     = true
}

variable "cluster_autoscaler_chart_version" {
  description = "Version of the cluster-autoscaler Helm chart (its appVersion should match kubernetes_version's minor)."
  type        = string
  default     = "9.46.6"
}
