"""Staffing for a traffic peak: how many agents a contact rate needs (Erlang C, or
Erlang A with abandonment), and calling in the shortfall from the standby pool."""
