-- surge schema 13: the admission's max_open check counts a playbook's open incidents;
-- without this index that count read every incident the playbook ever had.
CREATE INDEX incidents_playbook_status ON incidents (playbook_id, status);
