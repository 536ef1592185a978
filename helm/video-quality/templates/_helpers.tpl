{{/*
Naming, labels and the pieces shared by the detector and enhancer templates. Components are rendered from one
definition each (Deployment, Service, HPA, PDB) with a context dict:
  (dict "root" $ "component" "detector" "track" "stable")
*/}}

{{- define "vq.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vq.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "vq.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels. */}}
{{- define "vq.labels" -}}
helm.sh/chart: {{ include "vq.chart" . }}
app.kubernetes.io/name: {{ include "vq.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: videoquality
{{- end }}

{{/* Selector labels of a component (both tracks). ctx: dict root component */}}
{{- define "vq.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vq.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Name of a component's objects: <fullname>-detector, <fullname>-detector-canary. ctx: dict root component [track] */}}
{{- define "vq.componentName" -}}
{{- $base := printf "%s-%s" (include "vq.fullname" .root) .component }}
{{- if eq (default "stable" .track) "canary" }}
{{- printf "%s-canary" ($base | trunc 56 | trimSuffix "-") }}
{{- else }}
{{- $base | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "vq.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vq.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image reference of a component. ctx: dict root component [tag] (tag overrides image.tag, e.g. a canary build) */}}
{{- define "vq.image" -}}
{{- $v := .root.Values }}
{{- $c := index $v .component }}
{{- $repo := $c.image.repository }}
{{- if $v.image.registry }}
{{- $repo = printf "%s/%s" (trimSuffix "/" $v.image.registry) $repo }}
{{- end }}
{{- $digest := index $v.image.digests .component }}
{{- if .tag }}
{{- printf "%s:%s-%s" $repo .tag $v.image.flavor }}
{{- else if $digest }}
{{- printf "%s@%s" $repo $digest }}
{{- else }}
{{- printf "%s:%s-%s" $repo (default .root.Chart.AppVersion $v.image.tag) $v.image.flavor }}
{{- end }}
{{- end }}

{{/* Execution providers, explicit or by image flavor. ctx: dict root component */}}
{{- define "vq.providers" -}}
{{- $v := .root.Values }}
{{- $c := index $v .component }}
{{- $p := $v.inference.providers }}
{{- if and $c.inference (hasKey $c.inference "providers") }}
{{- $p = $c.inference.providers }}
{{- end }}
{{- if not $p }}
{{- if eq $v.image.flavor "gpu" }}
{{- $p = list "TensorRT" "CUDA" "CPU" }}
{{- else }}
{{- $p = list "CPU" }}
{{- end }}
{{- end }}
{{- toJson $p }}
{{- end }}

{{/* Name of the MQTT credentials Secret. */}}
{{- define "vq.mqttSecretName" -}}
{{- default (printf "%s-mqtt" (include "vq.fullname" .)) .Values.mqtt.existingSecret }}
{{- end }}

{{/* Name of the TLS secret used by the pods and the ingress. */}}
{{- define "vq.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "vq.fullname" .)) .Values.tls.secretName }}
{{- end }}

{{/* Client certificate secret of the enhancer (mutual TLS). */}}
{{- define "vq.enhancerClientSecretName" -}}
{{- default (printf "%s-enhancer-client-tls" (include "vq.fullname" .)) .Values.tls.clientSecretName }}
{{- end }}

{{/* The identity (client certificate common name) the detector admits under mutual TLS. */}}
{{- define "vq.enhancerIdentity" -}}
{{- default (include "vq.componentName" (dict "root" . "component" "enhancer")) .Values.tls.enhancerIdentity }}
{{- end }}

{{/* Fails on an auth configuration that would start half-configured (the services' options validation would stop them). */}}
{{- define "vq.validateAuth" -}}
{{- $a := .Values.auth }}
{{- if $a.enabled }}
{{- $jwt := or $a.jwt.authority $a.jwt.signingKeySecret }}
{{- if not (or $a.apiKeys.existingSecret $jwt) }}
{{- fail "auth.enabled needs auth.apiKeys.existingSecret and/or auth.jwt (authority or signingKeySecret)" }}
{{- end }}
{{- if and $jwt (not $a.jwt.audience) }}
{{- fail "auth.jwt needs an audience" }}
{{- end }}
{{- if and $a.jwt.signingKeySecret (not (or $a.jwt.issuer $a.jwt.authority)) }}
{{- fail "auth.jwt.signingKeySecret needs auth.jwt.issuer" }}
{{- end }}
{{- end }}
{{- end }}

{{/* issuerRef of the service certificate. */}}
{{- define "vq.internalIssuerRef" -}}
group: cert-manager.io
{{- if .Values.certManager.internalIssuer.name }}
kind: {{ .Values.certManager.internalIssuer.kind }}
name: {{ .Values.certManager.internalIssuer.name }}
{{- else }}
kind: Issuer
name: {{ printf "%s-ca" (include "vq.fullname" .) }}
{{- end }}
{{- end }}

{{/* issuerRef of the ingress certificate. */}}
{{- define "vq.ingressIssuerRef" -}}
{{- $cm := .Values.certManager }}
{{- if $cm.ingressIssuer.name }}
group: cert-manager.io
kind: {{ $cm.ingressIssuer.kind }}
name: {{ $cm.ingressIssuer.name }}
{{- else if $cm.acme.email }}
group: cert-manager.io
kind: Issuer
name: {{ printf "%s-acme" (include "vq.fullname" .) }}
{{- else }}
{{- include "vq.internalIssuerRef" . }}
{{- end }}
{{- end }}

{{- define "vq.ingressTlsSecretName" -}}
{{- default (printf "%s-ingress-tls" (include "vq.fullname" .)) .Values.ingress.tls.secretName }}
{{- end }}

{{/* Container security context: Pod Security Standards "restricted". */}}
{{- define "vq.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: {{ .Values.podSecurity.runAsUser }}
runAsGroup: {{ .Values.podSecurity.runAsGroup }}
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Seconds the preStop hook sleeps (the pod leaves the Service endpoints before SIGTERM); they count against the grace period. */}}
{{- define "vq.preStopSeconds" -}}
5
{{- end }}

{{/*
Shutdown:TimeoutSeconds of a component (dict root, component), derived from its terminationGracePeriodSeconds: what
the grace period leaves after the preStop sleep, less 5 s for the host to stop and exit, so in-flight calls are
drained (and streams ended with UNAVAILABLE) before the kubelet's SIGKILL. 30 s -> 20 s, prod's 60 s -> 50 s.
*/}}
{{- define "vq.shutdownTimeoutSeconds" -}}
{{- $c := index .root.Values .component }}
{{- sub (sub (int $c.terminationGracePeriodSeconds) (int (include "vq.preStopSeconds" .root))) 5 }}
{{- end }}

{{/* Detector address the enhancer dials. */}}
{{- define "vq.detectorAddress" -}}
{{- if .Values.enhancer.detectorAddress }}
{{- .Values.enhancer.detectorAddress }}
{{- else }}
{{- printf "%s://%s:%d" (ternary "https" "http" .Values.tls.enabled) (include "vq.componentName" (dict "root" . "component" "detector")) (int .Values.detector.ports.grpc) }}
{{- end }}
{{- end }}
