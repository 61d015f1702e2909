-- Schema version bookkeeping that DBAs read: doma_panda.pandadb_version.

-- set_schema_version: record the version of one component (upsert).
--   p_component  the component name, e.g. 'PANDADB' for this database's own schema
--   p_major, p_minor, p_patch  the version numbers
CREATE OR REPLACE PROCEDURE doma_panda.set_schema_version(
    p_component text, p_major integer, p_minor integer, p_patch integer)
LANGUAGE sql AS $$
    INSERT INTO doma_panda.pandadb_version (component, major, minor, patch)
    VALUES (p_component, p_major, p_minor, p_patch)
    ON CONFLICT (component) DO UPDATE
        SET major = EXCLUDED.major, minor = EXCLUDED.minor, patch = EXCLUDED.patch;
$$;

CALL doma_panda.set_schema_version('PANDADB', 0, 1, 0);
