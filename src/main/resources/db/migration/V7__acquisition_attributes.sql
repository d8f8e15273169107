-- Acquisition parameters that tell a portable bedside film from a standing one (a portable AP film
-- is taken at about 1 m with lower kVp; a PA chest at 1.8 m): numeric features for error analysis.
ALTER TABLE image
    ADD COLUMN kvp                         double precision,
    ADD COLUMN distance_source_to_detector double precision;
