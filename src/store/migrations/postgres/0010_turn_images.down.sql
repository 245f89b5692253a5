DROP TABLE IF EXISTS turn_images;
