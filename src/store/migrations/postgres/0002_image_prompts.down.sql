DROP TABLE IF EXISTS image_prompts;
