-- Reserved for another helper's migration; replaced at merge.
SELECT 1;
