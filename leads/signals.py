from django.dispatch import Signal

# Sent after leads changed owner, with moves=[(lead_id, from_user_id, to_user_id), ...].
# The reviews app moves open review commitments along with the leads.
leads_reassigned = Signal()

# Sent inside the transaction in which leads became sales-ready (evaluated, re-scored, imported),
# with lead_ids=[...] and at=<time>, after their SALES_READY events are written. Routing hands
# them off.
leads_became_sales_ready = Signal()

# Sent by seed_demo after the demo leads exist, so other apps can add their own demo data.
demo_data_loaded = Signal()
