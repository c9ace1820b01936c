{{- define "kcert-csr-approver.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "kcert-csr-approver.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "kcert-csr-approver.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kcert-csr-approver.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kcert-csr-approver.labels" -}}
{{ include "kcert-csr-approver.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kcert
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "kcert-csr-approver.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kcert-csr-approver.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "kcert-csr-approver.leaseName" -}}
{{- default (include "kcert-csr-approver.fullname" .) .Values.approver.leaseName }}
{{- end }}
