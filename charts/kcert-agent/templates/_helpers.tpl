{{- define "kcert-agent.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "kcert-agent.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "kcert-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kcert-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kcert-agent.labels" -}}
{{ include "kcert-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kcert
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "kcert-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kcert-agent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* agent.lease split into its namespace and name; anything but NAMESPACE/NAME fails the install */}}
{{- define "kcert-agent.leaseParts" -}}
{{- $parts := splitList "/" .Values.agent.lease }}
{{- if or (ne (len $parts) 2) (empty (first $parts)) (empty (last $parts)) }}
{{- fail (printf "agent.lease: expected NAMESPACE/NAME, not %q" .Values.agent.lease) }}
{{- end }}
{{- toJson $parts }}
{{- end }}

{{- define "kcert-agent.leaseNamespace" -}}
{{- first (include "kcert-agent.leaseParts" . | fromJsonArray) }}
{{- end }}

{{/* the Leases the agent takes: NAME, and NAME-1 .. NAME-(N-1) with concurrency N */}}
{{- define "kcert-agent.leaseNames" -}}
{{- $name := last (include "kcert-agent.leaseParts" . | fromJsonArray) }}
{{- $names := list $name }}
{{- range $i := untilStep 1 (int .Values.agent.concurrency) 1 }}
{{- $names = append $names (printf "%s-%d" $name $i) }}
{{- end }}
{{- toJson $names }}
{{- end }}
