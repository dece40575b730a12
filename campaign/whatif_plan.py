"""``campaign.whatif_plan`` is ``campaign.whatif.plan`` (the plan's owners, places, target dates and workbook),
kept under its old name for the code that imports it so."""
import sys

from campaign.whatif import plan

sys.modules[__name__] = plan
