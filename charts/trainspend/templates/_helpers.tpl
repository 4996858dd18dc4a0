{{- define "trainspend.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "trainspend.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "trainspend.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "trainspend.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "trainspend.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "trainspend.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "trainspend.selectorLabels" -}}
app.kubernetes.io/name: {{ include "trainspend.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "trainspend.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "trainspend.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The effective daemon configuration: values.config with the chart's own decisions applied. */}}
{{- define "trainspend.config" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- $leader := deepCopy $cfg.leader -}}
{{- if gt (int .Values.replicaCount) 1 -}}
{{- $_ := set $leader "enabled" true -}}
{{- end -}}
{{- $_ := set $leader "lease_namespace" .Release.Namespace -}}
{{- $_ := set $cfg "leader" $leader -}}
{{- $store := deepCopy $cfg.store -}}
{{- /* The default relative SQLite file goes on the data volume; a URL the user set is kept as given. */ -}}
{{- if and (not .Values.externalDatabase.existingSecret) (eq (toString $store.url) "sqlite:///trainspend.db") -}}
{{- $_ := set $store "url" "sqlite:////data/trainspend.db" -}}
{{- end -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.externalDatabase.existingSecret) (hasPrefix "sqlite" (toString $store.url)) -}}
{{- fail "replicaCount > 1 needs a shared database: set externalDatabase.existingSecret (a Secret with a PostgreSQL URL) or config.store.url to PostgreSQL" -}}
{{- end -}}
{{- $_ := set $cfg "store" $store -}}
{{- $_ := unset $cfg "config_file" -}}
{{- $_ := unset $cfg "secrets_dir" -}}
{{- toYaml $cfg -}}
{{- end -}}
