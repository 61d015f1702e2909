-- API module creds (seed 000): user secrets and the credentials the server hands out.
-- The storing and reading rules live here; encryption does not: the services encrypt each secret value
-- with the key they are configured with (Fernet, services/creds.py) before it reaches the database, and
-- decrypt what these functions return, so the key never reaches the database and a dump of
-- doma_panda.secrets shows key names and ciphertexts only.
--   doma_panda.secrets (upstream): one row per owner; data = a JSON object of secret name -> ciphertext.
--   doma_pandameta.users.gridpref (upstream): the permissions of a user: 'p' proxy and access-token
--     retrieval, 'k' key pairs, 't' token keys (users with status 'disabled' have none).
--   doma_pandameta.proxykey (upstream): token keys of clients (dn = client name, credname = key),
--     valid until expires.
-- Conventions: p_ parameters, v_ locals; PD002 bad input naming the parameter, PD003 unknown object,
-- PD005 not allowed; the database is unchanged on any of them.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue

-- set_user_secret: set, delete or clear a secret of the caller.
--   p_owner   the caller (token user name); a user only ever reaches their own row
--   p_key     the secret's name (1..64 characters of letters, digits and ._-); NULL: delete all of them
--   p_value   the secret's value as ciphertext; NULL: delete the secret p_key
-- Returns the message the client shows ("OK" ...). At most 100 secrets of at most 48 KiB each.
CREATE OR REPLACE FUNCTION doma_panda.set_user_secret(p_owner text, p_key text, p_value text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_data jsonb;
BEGIN
    IF p_owner IS NULL OR p_owner = '' OR length(p_owner) > 60 THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = 'owner must be a user name of 1 to 60 characters';
    END IF;
    IF p_key IS NULL THEN
        DELETE FROM doma_panda.secrets WHERE owner = p_owner;
        RETURN 'OK: all secrets deleted';
    END IF;
    IF p_key !~ '^[A-Za-z0-9._-]{1,64}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002',
            MESSAGE = 'key must be 1 to 64 characters of letters, digits, ".", "_" or "-"';
    END IF;
    IF p_value IS NULL THEN
        UPDATE doma_panda.secrets SET data = ((coalesce(data, '{}')::jsonb) - p_key)::text,
                                      updated_at = doma_panda.panda_now()
         WHERE owner = p_owner;
        RETURN format('OK: secret %s deleted', p_key);
    END IF;
    IF length(p_value) > 65636 THEN  -- the Fernet token of 48 KiB: base64 of 1+8+16 header, 49168 padded, 32 MAC bytes
        RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = 'value is too large: at most 48 KiB per secret';
    END IF;
    INSERT INTO doma_panda.secrets AS s (owner, updated_at, data)
    VALUES (p_owner, doma_panda.panda_now(), jsonb_build_object(p_key, p_value)::text)
    ON CONFLICT (owner) DO UPDATE
        SET data = ((coalesce(s.data, '{}')::jsonb) || jsonb_build_object(p_key, p_value))::text,
            updated_at = doma_panda.panda_now()
    RETURNING data::jsonb INTO v_data;
    IF (SELECT count(*) FROM jsonb_object_keys(v_data)) > 100 THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = 'key: at most 100 secrets per user; delete some first';
    END IF;
    RETURN 'OK';
END;
$$;

-- get_user_secrets: the caller's secrets (name -> ciphertext), all or the named ones that exist.
--   p_owner  the caller (token user name)
--   p_keys   the names wanted; NULL or empty: all
CREATE OR REPLACE FUNCTION doma_panda.get_user_secrets(p_owner text, p_keys text[] DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT jsonb_object_agg(e.key, e.value)
                       FROM doma_panda.secrets s, jsonb_each(coalesce(s.data, '{}')::jsonb) e
                      WHERE s.owner = p_owner
                        AND (p_keys IS NULL OR cardinality(p_keys) = 0 OR e.key = ANY (p_keys))), '{}'::jsonb);
$$;

-- creds_check_permission: raise PD005 unless the user holds a gridpref permission.
--   p_requester   the caller (token user name = doma_pandameta.users.name)
--   p_permission  'p' proxy / access token, 'k' key pair, 't' token key
CREATE OR REPLACE FUNCTION doma_panda.creds_check_permission(p_requester text, p_permission text)
RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM doma_pandameta.users u
                    WHERE u.name = p_requester AND (u.status IS NULL OR u.status <> 'disabled')
                      AND strpos(coalesce(u.gridpref, ''), p_permission) > 0) THEN
        RAISE EXCEPTION USING ERRCODE = 'PD005',
            MESSAGE = format('%L is not authorized with %L in doma_pandameta.users.gridpref to get %s', p_requester,
                             p_permission, CASE p_permission WHEN 'k' THEN 'key pairs' WHEN 't' THEN 'token keys'
                                                             ELSE 'proxies or access tokens' END);
    END IF;
END;
$$;

-- authorize_key_pair: whether the caller may read key pairs (gridpref 'k'); PD005 otherwise.
--   p_requester  the caller
CREATE OR REPLACE FUNCTION doma_panda.authorize_key_pair(p_requester text)
RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM doma_panda.creds_check_permission(p_requester, 'k');
    RETURN true;
END;
$$;

-- authorize_proxy: whether the caller may read x509 proxies (gridpref 'p'); PD005 otherwise.
--   p_requester  the caller
CREATE OR REPLACE FUNCTION doma_panda.authorize_proxy(p_requester text)
RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM doma_panda.creds_check_permission(p_requester, 'p');
    RETURN true;
END;
$$;

-- authorize_access_token: whether the caller may read the cached access token of a client: gridpref 'p',
-- and, when the client has valid token keys in doma_pandameta.proxykey, p_token_key must be one of them.
--   p_requester    the caller
--   p_client_name  the client whose token is wanted
--   p_token_key    the token key the caller presents (NULL when the client has none)
CREATE OR REPLACE FUNCTION doma_panda.authorize_access_token(p_requester text, p_client_name text, p_token_key text)
RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_client_name IS NULL OR p_client_name = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = 'client_name is required';
    END IF;
    PERFORM doma_panda.creds_check_permission(p_requester, 'p');
    IF EXISTS (SELECT 1 FROM doma_pandameta.proxykey k
                WHERE k.dn = p_client_name AND k.expires > doma_panda.panda_now())
       AND NOT EXISTS (SELECT 1 FROM doma_pandameta.proxykey k
                        WHERE k.dn = p_client_name AND k.expires > doma_panda.panda_now()
                          AND k.credname = p_token_key) THEN
        RAISE EXCEPTION USING ERRCODE = 'PD005', MESSAGE = format('token_key is invalid for %s', p_client_name);
    END IF;
    RETURN true;
END;
$$;

-- get_token_key: the latest valid token key of a client (doma_pandameta.proxykey), for a caller with
-- gridpref 't'; PD003 when the client has none.
--   p_requester    the caller
--   p_client_name  the client
CREATE OR REPLACE FUNCTION doma_panda.get_token_key(p_requester text, p_client_name text)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_key text;
BEGIN
    PERFORM doma_panda.creds_check_permission(p_requester, 't');
    SELECT k.credname INTO v_key
      FROM doma_pandameta.proxykey k
     WHERE k.dn = p_client_name AND k.expires > doma_panda.panda_now()
     ORDER BY k.expires DESC, k.id DESC
     LIMIT 1;
    IF v_key IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PD003', MESSAGE = format('Token key is missing for %L', p_client_name);
    END IF;
    RETURN v_key;
END;
$$;
