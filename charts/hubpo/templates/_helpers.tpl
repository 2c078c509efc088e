{{/* Names ---------------------------------------------------------------------------- */}}

{{- define "hubpo.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-hubpo unless the release name already contains the chart name. */}}
{{- define "hubpo.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of one component's objects: (dict "ctx" $ "component" "gateway"). Kept to 52
characters so that StatefulSet pod names and generated suffixes still fit in 63. */}}
{{- define "hubpo.componentName" -}}
{{- printf "%s-%s" (include "hubpo.fullname" .ctx | trunc (int (sub 51 (len .component))) | trimSuffix "-") .component -}}
{{- end -}}

{{- define "hubpo.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels (Kubernetes recommended labels) ---------------------------------------------- */}}

{{- define "hubpo.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hubpo.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "hubpo.labels" -}}
helm.sh/chart: {{ include "hubpo.chart" .ctx }}
{{ include "hubpo.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: hubpo
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Image and common pod fields ---------------------------------------------------------- */}}

{{- define "hubpo.image" -}}
{{- $image := .Values.image -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (default .Chart.AppVersion $image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "hubpo.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  {{- if kindIs "string" . }}
  - name: {{ . }}
  {{- else }}
  - {{ toYaml . | nindent 4 | trim }}
  {{- end }}
  {{- end }}
{{- end }}
{{- end -}}

{{- define "hubpo.podSecurityContext" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{- define "hubpo.containerSecurityContext" -}}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
{{- end -}}

{{/* nodeSelector, tolerations, affinity, topology spread and priority of a component. */}}
{{- define "hubpo.scheduling" -}}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "hubpo.logLevel" -}}
{{- default .ctx.Values.logLevel .values.logLevel -}}
{{- end -}}

{{/* host:port an in-pod listener binds to. */}}
{{- define "hubpo.bind" -}}
{{- printf "%s:%v" .ctx.Values.global.bindAddress .port -}}
{{- end -}}

{{/* Secrets -------------------------------------------------------------------------------- */}}

{{- define "hubpo.secretName" -}}
{{- default (printf "%s-secrets" (include "hubpo.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "hubpo.databaseSecretName" -}}
{{- default (printf "%s-database" (include "hubpo.fullname" .)) .Values.controlPlane.database.existingSecret -}}
{{- end -}}

{{- define "hubpo.databaseSecretKey" -}}
{{- if .Values.controlPlane.database.existingSecret -}}
{{- .Values.controlPlane.database.existingSecretKey -}}
{{- else -}}
database-url
{{- end -}}
{{- end -}}

{{/* env entry reading one key of the platform Secret: (dict "ctx" $ "env" "NAME" "key" "adminToken") */}}
{{- define "hubpo.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ include "hubpo.secretName" .ctx }}
      key: {{ index .ctx.Values.secrets.keys .key }}
{{- end -}}

{{/* Checksum of everything the chart puts into Secrets. Computed from values, not from the
rendered Secret, so generated values (which differ on every `helm template`) do not roll pods;
a Secret you manage yourself (existingSecret) is not seen here: restart the pods after changing it. */}}
{{- define "hubpo.secretsChecksum" -}}
{{- $in := dict "secrets" .Values.secrets "database" .Values.controlPlane.database "nats" .Values.nats.external -}}
{{- if .Values.grpc.auth.enabled -}}
{{- $_ := set $in "grpcAuth" .Values.grpc.auth -}}
{{- end -}}
{{- toJson $in | sha256sum -}}
{{- end -}}

{{/* NATS ----------------------------------------------------------------------------------- */}}

{{- define "hubpo.natsName" -}}
{{- include "hubpo.componentName" (dict "ctx" . "component" "nats") -}}
{{- end -}}

{{/* env entries for NATS_URL; empty when nats.mode is none. */}}
{{- define "hubpo.natsEnv" -}}
{{- $nats := .Values.nats -}}
{{- if eq $nats.mode "internal" }}
- name: NATS_URL
  value: {{ printf "nats://%s.%s.svc:4222" (include "hubpo.natsName" .) .Release.Namespace | quote }}
{{- else if eq $nats.mode "external" }}
{{- if $nats.external.existingSecret }}
- name: NATS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $nats.external.existingSecret }}
      key: {{ $nats.external.existingSecretKey }}
{{- else }}
- name: NATS_URL
  value: {{ $nats.external.url | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
Replicas of the streams the control plane creates (HUBPO_NATS_REPLICAS): nats.streamReplicas,
else 3 for an internal NATS of 3 servers, else 1.
*/}}
{{- define "hubpo.natsStreamReplicas" -}}
{{- $nats := .Values.nats -}}
{{- if not (kindIs "invalid" $nats.streamReplicas) -}}
{{- $nats.streamReplicas | int -}}
{{- else if and (eq $nats.mode "internal") (ge ($nats.internal.replicas | int) 3) -}}
3
{{- else -}}
1
{{- end -}}
{{- end -}}

{{/* Control plane addresses ------------------------------------------------------------- */}}

{{- define "hubpo.controlPlaneName" -}}
{{- include "hubpo.componentName" (dict "ctx" . "component" "control-plane") -}}
{{- end -}}

{{- define "hubpo.controlPlaneUrl" -}}
{{- if .Values.controlPlane.enabled -}}
{{- printf "%s://%s.%s.svc:%v" (ternary "https" "http" .Values.admin.tls.enabled) (include "hubpo.controlPlaneName" .) .Release.Namespace .Values.controlPlane.service.adminPort -}}
{{- else -}}
{{- .Values.controlPlane.remote.url -}}
{{- end -}}
{{- end -}}

{{- define "hubpo.controlPlaneGrpc" -}}
{{- if .Values.controlPlane.enabled -}}
{{- printf "%s.%s.svc:%v" (include "hubpo.controlPlaneName" .) .Release.Namespace .Values.controlPlane.service.grpcPort -}}
{{- else -}}
{{- .Values.controlPlane.remote.grpcAddress -}}
{{- end -}}
{{- end -}}

{{/* gRPC TLS between the planes ------------------------------------------------------------
Secrets are projected (only the keys each side needs: gateways never see the server's key) into
one read-only directory per pod; the programs read the files once at start. */}}

{{- define "hubpo.grpcTlsDir" -}}
/etc/hubpo/grpc-tls
{{- end -}}

{{/* Does this release's gateway dial the control plane over gRPC with TLS? */}}
{{- define "hubpo.gatewayGrpcTls" -}}
{{- $gw := .Values.gateway -}}
{{- if and .Values.grpc.tls.enabled $gw.enabled (eq $gw.configDriver "grpc") -}}true{{- end -}}
{{- end -}}

{{- define "hubpo.controlPlaneTlsEnv" -}}
{{- $tls := .Values.grpc.tls -}}
{{- $dir := include "hubpo.grpcTlsDir" . -}}
- name: HUBPO_GRPC_TLS_CERT
  value: {{ $dir }}/tls.crt
- name: HUBPO_GRPC_TLS_KEY
  value: {{ $dir }}/tls.key
{{- if $tls.mutual }}
- name: HUBPO_GRPC_TLS_CLIENT_CA
  value: {{ $dir }}/client-ca.crt
{{- end }}
{{- end -}}

{{- define "hubpo.controlPlaneTlsVolume" -}}
{{- $tls := .Values.grpc.tls -}}
- name: grpc-tls
  projected:
    # 0440: the pod's user and group (fsGroup) read, nobody writes.
    defaultMode: 288
    sources:
      - secret:
          name: {{ $tls.serverSecret }}
          items:
            - key: tls.crt
              path: tls.crt
            - key: tls.key
              path: tls.key
      {{- if $tls.mutual }}
      - secret:
          name: {{ default $tls.serverSecret $tls.clientCASecret }}
          items:
            - key: ca.crt
              path: client-ca.crt
      {{- end }}
{{- end -}}

{{- define "hubpo.gatewayTlsEnv" -}}
{{- $tls := .Values.grpc.tls -}}
{{- $dir := include "hubpo.grpcTlsDir" . -}}
- name: HUBPO_CONTROL_PLANE_GRPC_CA
  value: {{ $dir }}/ca.crt
{{- if $tls.mutual }}
- name: HUBPO_CONTROL_PLANE_GRPC_CERT
  value: {{ $dir }}/tls.crt
- name: HUBPO_CONTROL_PLANE_GRPC_KEY
  value: {{ $dir }}/tls.key
{{- end }}
{{- with $tls.serverName }}
- name: HUBPO_CONTROL_PLANE_GRPC_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* The gateway's CA comes from gatewaySecret, else from the control plane's serverSecret (its
ca.crt only); the client certificate (mutual) always from gatewaySecret. */}}
{{- define "hubpo.gatewayTlsVolume" -}}
{{- $tls := .Values.grpc.tls -}}
- name: grpc-tls
  projected:
    # 0440: the pod's user and group (fsGroup) read, nobody writes.
    defaultMode: 288
    sources:
      - secret:
          name: {{ default $tls.serverSecret $tls.gatewaySecret }}
          items:
            - key: ca.crt
              path: ca.crt
            {{- if $tls.mutual }}
            - key: tls.crt
              path: tls.crt
            - key: tls.key
              path: tls.key
            {{- end }}
{{- end -}}

{{- define "hubpo.grpcTlsMount" -}}
- name: grpc-tls
  mountPath: {{ include "hubpo.grpcTlsDir" . }}
  readOnly: true
{{- end -}}

{{/* gRPC bearer token (grpc.auth) ------------------------------------------------------------
One token for the control plane and this release's gRPC gateways, from grpc.auth.existingSecret
or the Secret <release>-hubpo-grpc-auth the chart renders (secrets.yaml). */}}

{{- define "hubpo.grpcAuthSecretName" -}}
{{- default (printf "%s-grpc-auth" (include "hubpo.fullname" .)) .Values.grpc.auth.existingSecret -}}
{{- end -}}

{{- define "hubpo.grpcAuthSecretKey" -}}
{{- if .Values.grpc.auth.existingSecret -}}
{{- .Values.grpc.auth.existingSecretKey -}}
{{- else -}}
grpc-token
{{- end -}}
{{- end -}}

{{/* Does this release's gateway send the token (it dials the control plane over gRPC)? */}}
{{- define "hubpo.gatewayGrpcToken" -}}
{{- $gw := .Values.gateway -}}
{{- if and .Values.grpc.auth.enabled $gw.enabled (eq $gw.configDriver "grpc") -}}true{{- end -}}
{{- end -}}

{{- define "hubpo.grpcTokenEnv" -}}
- name: HUBPO_GRPC_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "hubpo.grpcAuthSecretName" . }}
      key: {{ include "hubpo.grpcAuthSecretKey" . }}
{{- end -}}

{{/* Admin API TLS (HTTPS for the admin and cluster API) ----------------------------------
The control plane gets tls.crt/tls.key of admin.tls.serverSecret; the operator only a ca.crt
(from caSecret, caConfigMap, or serverSecret's ca.crt with a local control plane). */}}

{{- define "hubpo.adminTlsDir" -}}
/etc/hubpo/admin-tls
{{- end -}}

{{/* Does the operator pin a CA for the control plane (HUBPO_CONTROL_PLANE_CA)? */}}
{{- define "hubpo.operatorAdminCa" -}}
{{- $tls := .Values.admin.tls -}}
{{- if and $tls.enabled (or $tls.caSecret $tls.caConfigMap (and .Values.controlPlane.enabled $tls.serverSecret)) -}}true{{- end -}}
{{- end -}}

{{- define "hubpo.adminTlsVolume" -}}
- name: admin-tls
  projected:
    # 0440: the pod's user and group (fsGroup) read, nobody writes.
    defaultMode: 288
    sources:
      - secret:
          name: {{ .Values.admin.tls.serverSecret }}
          items:
            - key: tls.crt
              path: tls.crt
            - key: tls.key
              path: tls.key
{{- end -}}

{{- define "hubpo.operatorAdminCaVolume" -}}
{{- $tls := .Values.admin.tls -}}
- name: admin-tls
  projected:
    defaultMode: 288
    sources:
      {{- if $tls.caConfigMap }}
      - configMap:
          name: {{ $tls.caConfigMap }}
      {{- else }}
      - secret:
          name: {{ default $tls.serverSecret $tls.caSecret }}
      {{- end }}
          items:
            - key: ca.crt
              path: ca.crt
{{- end -}}

{{- define "hubpo.adminTlsMount" -}}
- name: admin-tls
  mountPath: {{ include "hubpo.adminTlsDir" . }}
  readOnly: true
{{- end -}}

{{/* Volumes and probes -------------------------------------------------------------------- */}}

{{- define "hubpo.httpProbes" -}}
startupProbe:
  httpGet:
    path: /healthz
    port: {{ .port }}
    {{- with .scheme }}
    scheme: {{ . }}
    {{- end }}
  periodSeconds: 2
  failureThreshold: {{ .startupFailures | default 30 }}
livenessProbe:
  httpGet:
    path: /healthz
    port: {{ .port }}
    {{- with .scheme }}
    scheme: {{ . }}
    {{- end }}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: {{ .port }}
    {{- with .scheme }}
    scheme: {{ . }}
    {{- end }}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}

{{/* Service accounts -------------------------------------------------------------------- */}}

{{- define "hubpo.componentValues" -}}
{{- $key := get (dict "control-plane" "controlPlane" "gateway" "gateway" "operator" "operator") .component -}}
{{- toJson (index .ctx.Values $key) -}}
{{- end -}}

{{/* (dict "ctx" $ "component" "gateway") */}}
{{- define "hubpo.serviceAccountName" -}}
{{- $sa := (include "hubpo.componentValues" . | fromJson).serviceAccount -}}
{{- if $sa.create -}}
{{- default (include "hubpo.componentName" .) $sa.name -}}
{{- else -}}
{{- default "default" $sa.name -}}
{{- end -}}
{{- end -}}
