// Command istio-ca-client asks a real istiod's CA (gRPC IstioCertificateService on the secure
// xDS port, 15012 in a pod) to sign a workload certificate, authenticating with a
// Kubernetes ServiceAccount token exactly as istio-agent does, and prints the answer as JSON.
//
// It makes its own key and CSR (ECDSA P-256, the identity as a URI SAN) so the test can
// check what istiod put in the certificate it returned. Exit codes: 0 signed, 3 refused by
// istiod (the gRPC status is in the JSON), 1 anything else.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
	pb "istio.io/api/security/v1alpha1"
)

type result struct {
	Signed    bool     `json:"signed"`
	CertChain []string `json:"certChain,omitempty"`
	Code      string   `json:"code,omitempty"`
	Message   string   `json:"message,omitempty"`
}

func main() {
	addr := flag.String("addr", "", "istiod's secure gRPC address, host:port")
	rootFile := flag.String("root-cert", "", "PEM file of the root that signed istiod's serving certificate")
	serverName := flag.String("server-name", "istiod.istio-system.svc", "name to verify istiod's certificate against")
	tokenFile := flag.String("token", "", "file holding the ServiceAccount token (audience istio-ca)")
	identity := flag.String("identity", "", "SPIFFE identity to request, e.g. spiffe://cluster.local/ns/app/sa/web")
	impersonate := flag.String("impersonate", "", "identity to request on behalf of (ztunnel's node-agent flow)")
	clusterID := flag.String("cluster-id", "Kubernetes", "cluster ID sent as request metadata")
	ttl := flag.Duration("ttl", 24*time.Hour, "requested validity")
	timeout := flag.Duration("timeout", 20*time.Second, "deadline of the whole exchange")
	flag.Parse()
	if *addr == "" || *rootFile == "" || *tokenFile == "" || *identity == "" {
		fail("--addr, --root-cert, --token and --identity are required")
	}
	res, err := sign(*addr, *rootFile, *serverName, *tokenFile, *identity, *impersonate, *clusterID, *ttl, *timeout)
	if err != nil {
		st, ok := status.FromError(err)
		if !ok {
			fail(err.Error())
		}
		res = result{Code: st.Code().String(), Message: st.Message()}
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	if !res.Signed {
		os.Exit(3)
	}
}

func sign(addr, rootFile, serverName, tokenFile, identity, impersonate, clusterID string,
	ttl, timeout time.Duration,
) (result, error) {
	rootPEM, err := os.ReadFile(rootFile)
	if err != nil {
		return result{}, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(rootPEM) {
		return result{}, fmt.Errorf("%s holds no PEM certificate", rootFile)
	}
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return result{}, err
	}
	csr, err := makeCSR(identity)
	if err != nil {
		return result{}, err
	}
	creds := credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12})
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return result{}, err
	}
	defer conn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx,
		"authorization", "Bearer "+strings.TrimSpace(string(token)),
		"ClusterID", clusterID)
	request := &pb.IstioCertificateRequest{Csr: csr, ValidityDuration: int64(ttl.Seconds())}
	if impersonate != "" {
		request.Metadata = &structpb.Struct{Fields: map[string]*structpb.Value{
			"ImpersonatedIdentity": structpb.NewStringValue(impersonate),
		}}
	}
	response, err := pb.NewIstioCertificateServiceClient(conn).CreateCertificate(ctx, request)
	if err != nil {
		return result{}, err
	}
	return result{Signed: true, CertChain: response.CertChain}, nil
}

func makeCSR(identity string) (string, error) {
	uri, err := url.Parse(identity)
	if err != nil {
		return "", fmt.Errorf("--identity: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{Organization: []string{"meshkeeper-test"}},
		URIs:    []*url.URL{uri},
	}, key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "istio-ca-client:", message)
	os.Exit(1)
}
