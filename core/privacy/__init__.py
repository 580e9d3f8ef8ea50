"""The privacy concern: on-device detection of sensitive data, the secrets vault, and reversible
redaction for the hybrid-redact mode. Import the pieces from their modules:

    from core.privacy.detector import PrivacyDetector
    from core.privacy.vault import SecretVault
    from core.privacy.redaction import Redactor
    from core.privacy.views import Finding

(The package itself imports nothing heavy: loading presidio and spaCy takes seconds.)
"""
