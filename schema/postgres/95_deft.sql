-- DEFT: production system task definitions and commands.
-- Names and types follow the public PanDA PostgreSQL schema (doma_deft).

CREATE TABLE doma_deft.prodsys_comm (
    comm_task bigint NOT NULL,
    comm_meta bigint,
    comm_owner character varying(32),
    comm_cmd character varying(256),
    comm_ts bigint,
    comm_comment character varying(128),
    comm_parameters text
);

CREATE TABLE doma_deft.t_task (
    taskid bigint NOT NULL,
    parent_tid bigint,
    status character varying(12),
    total_done_jobs bigint,
    submit_time timestamp without time zone NOT NULL,
    start_time timestamp without time zone,
    timestamp timestamp without time zone,
    vo character varying(32),
    prodsourcelabel character varying(20),
    taskname character varying(256),
    username character varying(128),
    priority bigint,
    current_priority bigint,
    total_req_jobs bigint,
    chain_tid bigint,
    total_events bigint,
    jedi_task_parameters text,
    total_input_events bigint,
    CONSTRAINT t_task_pk_part PRIMARY KEY (taskid)
);
CREATE INDEX t_task_status_prodlabel_idx ON doma_deft.t_task (status, prodsourcelabel);
CREATE INDEX t_task_taskname_idx ON doma_deft.t_task (taskname);
CREATE INDEX t_task_username_idx ON doma_deft.t_task (username);
