-- Schemas and sequences of the PanDA database.

CREATE SCHEMA doma_panda;
CREATE SCHEMA doma_pandaarch;
CREATE SCHEMA doma_pandameta;
CREATE SCHEMA doma_deft;

CREATE SEQUENCE doma_deft.prodsys2_task_id_seq;
CREATE SEQUENCE doma_panda.error_descriptions_id_seq;
CREATE SEQUENCE doma_panda.filestable4_row_id_seq;
CREATE SEQUENCE doma_panda.group_jobid_seq;
CREATE SEQUENCE doma_panda.harvester_command_id_seq;
CREATE SEQUENCE doma_panda.jedi_data_carousel_request_id_seq;
CREATE SEQUENCE doma_panda.jedi_dataset_cont_fileid_seq;
CREATE SEQUENCE doma_panda.jedi_datasets_id_seq;
CREATE SEQUENCE doma_panda.jedi_output_template_id_seq;
CREATE SEQUENCE doma_panda.jedi_work_queue_id_seq;
CREATE SEQUENCE doma_panda.jobsdefined4_pandaid_seq;
CREATE SEQUENCE doma_panda.retryactions_id_seq;
CREATE SEQUENCE doma_panda.retryerrors_id_seq;
CREATE SEQUENCE doma_panda.subcounter_subid_seq;
CREATE SEQUENCE doma_panda.workflow_data_id_seq;
CREATE SEQUENCE doma_panda.workflow_id_seq;
CREATE SEQUENCE doma_panda.workflow_step_id_seq;
CREATE SEQUENCE doma_pandameta.proxykey_id_seq;
CREATE SEQUENCE doma_pandameta.users_id_seq;
