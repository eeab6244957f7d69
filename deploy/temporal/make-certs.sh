#!/bin/sh
# Temporal's certificates for docker-compose.yml (DSR_TEMPORAL_TLS_DIR): a CA of its own,
# the frontend's certificate (named `temporal`, as the clients check it), and a client
# certificate per service that reaches the frontend: worker, api, migrate, ui. Each
# folder holds ca.pem, cert.pem and key.pem; the CA's key stays in ca/ (keep it offline:
# whoever holds it can make a client certificate). Run it once, on the host:
#
#   deploy/temporal/make-certs.sh /etc/dsr/temporal-tls
#
# An intake backend that submits through Temporal needs no certificate: it submits
# through the API (`dsr submit`). An operator's own `temporal` CLI gets one with
#   deploy/temporal/make-certs.sh /etc/dsr/temporal-tls operator-NAME
set -eu

out=${1:?usage: make-certs.sh FOLDER [EXTRA-CLIENT]}
days=${DSR_TEMPORAL_CERT_DAYS:-825}
umask 077
mkdir -p "$out/ca"

if [ ! -f "$out/ca/key.pem" ]; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$out/ca/key.pem"
    openssl req -x509 -new -key "$out/ca/key.pem" -sha256 -days 3650 \
        -subj "/CN=dsr temporal CA" -out "$out/ca/ca.pem" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
fi

issue() {  # issue NAME CN EXTENDED-KEY-USAGE [SUBJECT-ALT-NAMES]
    folder="$out/$1"
    [ -f "$folder/cert.pem" ] && return 0
    mkdir -p "$folder"
    openssl ecparam -name prime256v1 -genkey -noout -out "$folder/key.pem"
    openssl req -new -key "$folder/key.pem" -subj "/CN=$2" -out "$folder/request.csr"
    {
        echo "basicConstraints=critical,CA:FALSE"
        echo "keyUsage=critical,digitalSignature,keyEncipherment"
        echo "extendedKeyUsage=$3"
        [ -n "${4:-}" ] && echo "subjectAltName=$4"
    } > "$folder/extensions.cnf"
    openssl x509 -req -in "$folder/request.csr" -CA "$out/ca/ca.pem" -CAkey "$out/ca/key.pem" \
        -CAcreateserial -days "$days" -sha256 -extfile "$folder/extensions.cnf" \
        -out "$folder/cert.pem"
    rm "$folder/request.csr" "$folder/extensions.cnf"
    cp "$out/ca/ca.pem" "$folder/ca.pem"
}

# The server talks to its own services with the same certificate: it is a client too.
issue server temporal serverAuth,clientAuth "DNS:temporal,DNS:localhost,IP:127.0.0.1"
for client in worker api migrate ui; do
    issue "$client" "dsr-$client" clientAuth
done
[ -n "${2:-}" ] && issue "$2" "$2" clientAuth
echo "certificates in $out: server/ worker/ api/ migrate/ ui/ (the CA's key in ca/)"
