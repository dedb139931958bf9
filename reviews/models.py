# The weekly lead-review meeting (meetings, agenda items, rep updates, outcomes) lives here.
