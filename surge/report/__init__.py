"""The post-incident report: what happened, who was paged and how fast, what customers
were told and who was affected, and what the departments concerned should follow up.
Built from the store (``build``), rendered as Markdown or HTML (``render``)."""
