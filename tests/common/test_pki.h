#pragma once
// A certificate authority made by a test at run time (no key material is
// committed): an EC P-256 CA and the server certificates it issues, for
// "localhost" and 127.0.0.1, as PEM text and files. Header-only, shared by the
// unit tests (tests/unit/tls) and the integration tests (tests/integration/tls_*).
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <stdexcept>
#include <string>

namespace ringcast::test {

inline std::string pem_of_key(EVP_PKEY* key) {
    BIO* b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    std::string out(data, size_t(n));
    BIO_free(b);
    return out;
}

inline std::string pem_of_cert(X509* cert) {
    BIO* b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, cert);
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    std::string out(data, size_t(n));
    BIO_free(b);
    return out;
}

inline void write_text(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f) throw std::runtime_error("cannot write " + path);
}

struct IssuedCert {
    std::string cert_pem;  // the leaf only
    std::string key_pem;
    long serial = 0;
};

class TestCa {
public:
    TestCa() : _key(EVP_EC_gen("P-256")) {
        _cert = make_cert("ringcast test CA", 1, _key, nullptr, true);
    }
    ~TestCa() {
        X509_free(_cert);
        EVP_PKEY_free(_key);
    }
    TestCa(const TestCa&) = delete;
    TestCa& operator=(const TestCa&) = delete;

    std::string ca_pem() const { return pem_of_cert(_cert); }

    // A server certificate for localhost and 127.0.0.1, valid for a day.
    IssuedCert issue(long serial) const {
        EVP_PKEY* key = EVP_EC_gen("P-256");
        X509* cert = make_cert("localhost", serial, key, this, false);
        IssuedCert out{pem_of_cert(cert), pem_of_key(key), serial};
        X509_free(cert);
        EVP_PKEY_free(key);
        return out;
    }

private:
    static void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
    }

    X509* make_cert(const char* cn, long serial, EVP_PKEY* key, const TestCa* ca,
                    bool is_ca) const {
        X509* cert = X509_new();
        X509_set_version(cert, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
        X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
        X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
        X509_set_pubkey(cert, key);
        X509_NAME* name = X509_get_subject_name(cert);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
        X509* issuer = ca ? ca->_cert : cert;
        X509_set_issuer_name(cert, X509_get_subject_name(issuer));
        if (is_ca) {
            add_ext(cert, issuer, NID_basic_constraints, "critical,CA:TRUE");
            add_ext(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
            add_ext(cert, issuer, NID_subject_key_identifier, "hash");
        } else {
            add_ext(cert, issuer, NID_basic_constraints, "CA:FALSE");
            add_ext(cert, issuer, NID_ext_key_usage, "serverAuth");
            add_ext(cert, issuer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
            add_ext(cert, issuer, NID_authority_key_identifier, "keyid");
        }
        X509_sign(cert, ca ? ca->_key : key, EVP_sha256());
        return cert;
    }

    EVP_PKEY* _key;
    X509* _cert = nullptr;
};

}  // namespace ringcast::test
