-- Which replica scored the job (its instance id), for operators following a job across replicas
-- and for the two-replica test that checks no job is scored twice.
ALTER TABLE inference_job ADD COLUMN finished_by text;
