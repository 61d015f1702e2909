-- Global shares and JEDI work queues.
-- Names and types follow the public PanDA PostgreSQL schema (doma_panda).

CREATE TABLE doma_panda.global_shares (
    name character varying(32) NOT NULL,
    value smallint NOT NULL,
    parent character varying(32),
    prodsourcelabel character varying(100),
    workinggroup character varying(100),
    campaign character varying(100),
    processingtype character varying(100),
    vo character varying(32),
    queue_id integer,
    throttled character(1),
    transpath character varying(128),
    rtype character varying(32),
    CONSTRAINT global_shares_pkey PRIMARY KEY (name),
    CONSTRAINT global_shares_queue_id_key UNIQUE (queue_id)
);

CREATE TABLE doma_panda.jedi_work_queue (
    queue_id integer NOT NULL,
    queue_name character varying(32) NOT NULL,
    queue_type character varying(32) NOT NULL,
    vo character varying(32) NOT NULL,
    status character varying(64),
    partitionid integer,
    stretchable smallint,
    queue_share smallint,
    queue_order smallint,
    criteria character varying(256),
    variables character varying(256),
    queue_function character varying(32),
    CONSTRAINT jedi_work_queue_pkey PRIMARY KEY (queue_id),
    CONSTRAINT jedi_work_queue_queue_name_queue_type_vo_key UNIQUE (queue_name, queue_type, vo)
);
CREATE INDEX jedi_work_queue_qfunc_idx ON doma_panda.jedi_work_queue (queue_function, queue_id);
