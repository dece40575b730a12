"""Which function turns a mapped sheet of each kind into the rows to store (the kinds in mapping.KINDS)."""
from __future__ import annotations

from campaign.ingest.kinds import build_assessment, build_ledger, build_peers, build_report_streets, build_survey
from campaign.ingest.negative_kind import build_negatives

BUILDERS = {"ledger": build_ledger, "assessment": build_assessment, "survey": build_survey, "peers": build_peers,
            "report_streets": build_report_streets, "negatives": build_negatives}
