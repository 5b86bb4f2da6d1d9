-- Searches for people and specialties ignore accents, as Brazilians type them ("joao" finds "João", "clinica" finds
-- "Clínica Médica"). unaccent is a trusted extension (PostgreSQL 13+): the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS unaccent;
